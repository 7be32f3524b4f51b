using Trainer.Core.Models;
using Trainer.Core.Training;
using Trainer.Grains.Messages;

namespace Trainer.Grains.ParameterServer;

/// <summary>
/// A job's memory, process by process, checked after its workers have loaded the data and before
/// anything else is allocated: silos of one process (an embedded cluster) share its memory, so their
/// workers, the parameter server and the trainer's own copies are added up per process, against the
/// least that the process's silos can give (a silo's --memory-limit, or the machine's available memory).
/// </summary>
public static class JobMemory
{
    /// <summary>The parameter server's own part (its vectors and, with --ps-shards, the shards'), which its silo reserves.</summary>
    public static long ServerBytes(JobSpec spec, Network network, (int First, int Count)[] ranges)
    {
        var parameters = (long)network.ParameterCount;
        var blocks = ranges.Sum(r => GradientSums.AlignedBlocks(r.First, r.Count).Count);
        var estimate = MemoryEstimate.Server(spec.Options, parameters, blocks, spec.PsShards > 1);
        if (spec.PsShards > 1) estimate.Vectors("parameter shards", 3 + spec.Options.Partitions + blocks, parameters);
        return estimate.Bytes;
    }

    /// <param name="server">What the parameter server's silo can give, and what has it.</param>
    public static void EnsureFits(JobSpec spec, Network network, PartitionPlan plan, (int First, int Count)[] ranges, DataShape[] workers, (long Bytes, string Room) server)
    {
        var parameters = (long)network.ParameterCount;
        var microBatch = plan.MicroBatch.Max();
        var blocks = ranges.Sum(r => GradientSums.AlignedBlocks(r.First, r.Count).Count);
        var serverProcess = JobSpec.ThisProcess;
        var processes = workers.Select(w => w.Process).Append(serverProcess).Distinct();
        foreach (var process in processes)
        {
            var estimate = new MemoryEstimate();
            for (var w = 0; w < workers.Length; w++)
                if (workers[w].Process == process)
                    estimate.Add(MemoryEstimate.Worker(network.Spec, parameters, ranges[w].Count, microBatch, spec.Options.Threads))
                            .Add(MemoryEstimate.WorkerState(spec.Options, parameters, GradientSums.AlignedBlocks(ranges[w].First, ranges[w].Count).Count,
                                spec.Wire == JobWire.Bfloat16, spec.Mode == JobMode.LocalSgd));
            if (process == serverProcess)
            {
                estimate.Add(MemoryEstimate.Server(spec.Options, parameters, blocks, spec.PsShards > 1));
                if (spec.PsShards > 1) estimate.Vectors("parameter shards", 3 + spec.Options.Partitions + blocks, parameters);
            }
            if (process == spec.ClientProcess) estimate.Vectors("the trainer's weights and best weights", 2, parameters);

            var silos = workers.Where(w => w.Process == process).Select(w => w.Silo).Distinct().ToArray();
            var where = silos.Length == 0 ? "on the parameter server's silo"
                : silos.Length == 1 ? $"on silo {silos[0]}" : $"in the process of silos {string.Join(", ", silos)}";
            var rooms = workers.Where(w => w.Process == process).Select(w => (Bytes: w.AvailableBytes, Room: w.Room ?? "this machine has")).ToList();
            if (process == serverProcess) rooms.Add(server);
            var least = rooms.MinBy(r => r.Bytes);
            estimate.EnsureFits(where, least.Bytes, least.Room);
        }
    }
}
