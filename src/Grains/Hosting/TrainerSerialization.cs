using System.Text.Json;
using System.Text.Json.Serialization;
using Orleans.Serialization;
using Trainer.Core.Training;

namespace Trainer.Grains.Hosting;

/// <summary>
/// Core's types carry no Orleans attributes, since Core knows nothing of Orleans. The small ones
/// (options, data specifications, metric sums, epoch reports, the loop's events) travel as JSON;
/// those that hold vectors (a step's gradient sums, the loop's and the update's state) through
/// surrogates whose vectors are raw float32 (Transport/CoreSurrogates.cs).
/// </summary>
public static class TrainerSerialization
{
    private static readonly HashSet<Type> WithSurrogates = [typeof(StepSums), typeof(LoopState), typeof(UpdateState)];

    public static ISerializerBuilder AddTrainerSerialization(this ISerializerBuilder serializer) =>
        serializer.AddJsonSerializer(
            isSupported: type => type.Namespace?.StartsWith("Trainer.Core", StringComparison.Ordinal) == true
                                 && !WithSurrogates.Contains(type)
                                 && !typeof(Exception).IsAssignableFrom(type), // exceptions keep Orleans' own codec
            jsonSerializerOptions: new JsonSerializerOptions
            {
                IncludeFields = true,
                NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, // ±∞ in early stopping's initial state
            });
}
