using System.Text.Json;
using System.Text.Json.Serialization;
using Orleans.Serialization;

namespace Trainer.Grains.Hosting;

/// <summary>
/// Core's types (options, data specifications, metric sums, epoch statistics) carry no Orleans
/// attributes, since Core knows nothing of Orleans: they travel as JSON. Only small messages do;
/// weights and gradients travel as raw float32 (FloatVector).
/// </summary>
public static class TrainerSerialization
{
    public static ISerializerBuilder AddTrainerSerialization(this ISerializerBuilder serializer) =>
        serializer.AddJsonSerializer(
            isSupported: type => type.Namespace?.StartsWith("Trainer.Core", StringComparison.Ordinal) == true
                                 && !typeof(Exception).IsAssignableFrom(type), // exceptions keep Orleans' own codec
            jsonSerializerOptions: new JsonSerializerOptions
            {
                IncludeFields = true,
                NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, // ±∞ in early stopping's initial state
            });
}
