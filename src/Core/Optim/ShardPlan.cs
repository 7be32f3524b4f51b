using Trainer.Core.Models;

namespace Trainer.Core.Optim;

/// <summary>
/// The parameter vector split into S contiguous key ranges, one per parameter-server shard (as
/// ps-lite does): as even as possible, with every boundary on a multiple of <see cref="Chunk"/>
/// so that reductions over chunks (LARS's norms) add the same partial sums in the same order
/// whatever the number of shards. Element-wise arithmetic does not care where a range starts,
/// so sharded updates are bit-identical to the unsharded ones.
/// </summary>
public sealed class ShardPlan
{
    public const int Chunk = 1024;

    public ShardPlan(int parameters, int shards)
    {
        var chunks = (parameters + Chunk - 1) / Chunk;
        if (shards < 1) throw new UserInputException($"--ps-shards {shards}: must be at least 1");
        if (shards > chunks)
            throw new UserInputException($"--ps-shards {shards}: this model's {parameters:N0} parameters make {chunks} ranges of {Chunk} at most; use --ps-shards {chunks} or fewer");
        Parameters = parameters;
        Shards = shards;
        Starts = Enumerable.Range(0, shards + 1).Select(s => Math.Min(parameters, (int)((long)chunks * s / shards) * Chunk)).ToArray();
    }

    public int Parameters { get; }
    public int Shards { get; }
    /// <summary>Shard s holds [Starts[s], Starts[s + 1]).</summary>
    public int[] Starts { get; }

    public (int Start, int Length) Range(int shard) => (Starts[shard], Starts[shard + 1] - Starts[shard]);

    /// <summary>The tensors' parts inside a shard's range, with offsets relative to it, and the index of the whole tensor each belongs to.</summary>
    public IReadOnlyList<(int Tensor, ParameterTensor Part)> Tensors(int shard, IReadOnlyList<ParameterTensor> tensors)
    {
        var (start, length) = Range(shard);
        var parts = new List<(int, ParameterTensor)>();
        for (var t = 0; t < tensors.Count; t++)
        {
            var from = Math.Max(start, tensors[t].Offset);
            var to = Math.Min(start + length, tensors[t].Offset + tensors[t].Length);
            if (from < to) parts.Add((t, tensors[t] with { Offset = from - start, Rows = 1, Cols = to - from }));
        }
        return parts;
    }
}
