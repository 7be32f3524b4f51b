namespace Trainer.Core.Training;

/// <summary>
/// A parameter vector cut into fixed chunks of <see cref="Size"/> elements (a multiple of the
/// 1024-element grid shards keep), so that element-wise work runs on several threads and sums over
/// the vector add their chunks' partials in chunk order: the same bits on any thread count.
/// </summary>
public sealed class VectorChunks(int length, int threads)
{
    public const int Size = 16 * 1024;

    public int Length => length;
    public int Count { get; } = (length + Size - 1) / Size;

    /// <summary>Chunk c's range.</summary>
    public (int Start, int Length) this[int c] => (c * Size, Math.Min(Size, length - c * Size));

    /// <summary>Runs <paramref name="work"/> on every chunk, on up to the threads given.</summary>
    public void ForEach(Action<int, int, int> work)
    {
        if (threads <= 1 || Count == 1) { for (var c = 0; c < Count; c++) Run(work, c); return; }
        Parallel.For(0, Count, new ParallelOptions { MaxDegreeOfParallelism = threads }, c => Run(work, c));
    }

    private void Run(Action<int, int, int> work, int c)
    {
        var (start, size) = this[c];
        work(c, start, size);
    }
}
