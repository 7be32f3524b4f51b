using System.Text.Json.Serialization;

namespace Trainer.Client.Commands.Scale;

/// <summary>One run of a sweep: a point of the grid. <paramref name="LrFactor"/> multiplies --lr (--tune-lr's trials).</summary>
public sealed record ScalePoint(int Batch, int Workers, string LrScaling, string Optimizer, double WarmupEpochs, int PsShards = 1, double LrFactor = 1)
{
    /// <summary>The run's name: its folder under runs/ and its key in results.json.</summary>
    [JsonIgnore]
    public string Key => $"b{Batch}-w{Workers}-{LrScaling}-{Optimizer}-warmup{WarmupEpochs:0.##}{(PsShards > 1 ? $"-s{PsShards}" : "")}{(LrFactor != 1 ? $"-lrx{LrFactor:0.###}" : "")}";

    /// <summary>The curve the run belongs to: everything but the batch.</summary>
    public string Series(bool withWorkers) => Trials(withWorkers) + (LrFactor != 1 ? $", lr ×{LrFactor:0.###}" : "");

    /// <summary>The runs --tune-lr chooses among at one batch: everything but the batch and the learning-rate factor.</summary>
    public string Trials(bool withWorkers) =>
        $"lr {LrScaling}, {Optimizer}{(WarmupEpochs > 0 ? $", warm-up {WarmupEpochs:0.##}" : "")}{(withWorkers ? $", {WorkersText}" : "")}" +
        (PsShards > 1 ? $", {PsShards} shards" : "");

    /// <summary>Workers 0 stands for train's default, one per silo.</summary>
    [JsonIgnore]
    public string WorkersText => Workers == 0 ? "one worker per silo" : $"{Workers} worker{(Workers == 1 ? "" : "s")}";

    public override string ToString() =>
        $"batch {Batch}, {WorkersText}, lr scaling {LrScaling}, {Optimizer}, warm-up {WarmupEpochs:0.##} epochs{(PsShards > 1 ? $", {PsShards} parameter-server shards" : "")}{(LrFactor != 1 ? $", lr ×{LrFactor:0.###}" : "")}";
}

/// <summary>
/// A sweep as asked for: the <c>trainer train</c> options every run shares, the grid's dimensions,
/// the target and the epoch budget. Kept in sweep.json: a folder holds the results of one sweep,
/// and running the same command again continues it.
/// </summary>
public sealed record ScaleGrid(
    string[] TrainArguments, int[] Batches, int[] Workers, string[] LrScalings, string[] Optimizers, double[] WarmupEpochs,
    double Target, int MaxEpochs, bool PastTarget, int[]? PsShards = null, double[]? LrFactors = null)
{
    /// <summary>Every run, by curve and then by batch.</summary>
    [JsonIgnore]
    public IReadOnlyList<ScalePoint> Points =>
        (from shards in PsShards ?? [1]
         from workers in Workers
         from scaling in LrScalings
         from optimizer in Optimizers
         from warmup in WarmupEpochs
         from batch in Batches
         from factor in LrFactors ?? [1]
         select new ScalePoint(batch, workers, scaling, optimizer, warmup, shards, factor)).ToArray();

    /// <summary>Curves are told apart by workers too when the sweep has more than one worker count (shards always show).</summary>
    [JsonIgnore]
    public bool VariesWorkers => Workers.Length > 1;
}
