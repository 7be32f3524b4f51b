using Trainer.Core.Data;
using Trainer.Core.Kernels;
using Trainer.Core.Models;
using Trainer.Core.Training;
using Trainer.Grains.Admission;
using Trainer.Grains.Hosting;
using Trainer.Grains.Messages;
using Trainer.Grains.ParameterServer;
using Trainer.Grains.Placement;
using Trainer.Grains.Transport;

namespace Trainer.Grains.Workers;

/// <summary>
/// A worker: its partitions' gradients with the weights it is sent, and its shard of evaluation. It
/// reads only what its silo's data roots allow, and its job is admitted by its silo (a place among
/// --max-jobs, its data and its buffers reserved against the silo's memory) before it allocates.
/// </summary>
[SpreadPlacement]
public sealed class WorkerGrain(ILocalSiloDetails silo, DataRoots roots, SiloAdmission admission) : Grain, IWorkerGrain
{
    private Job? _job;
    private string? _admitted; // the job this worker holds a place of on its silo

    private string Key => this.GetPrimaryKeyString();
    private string SiloName => silo.SiloAddress.ToString();

    public async Task<DataShape> Load(WorkerLoad load)
    {
        roots.Check(load.Data); // before the file is opened: a refusal has none of its bytes
        Admit(load.Job);
        PreparedData data;
        try
        {
            data = await DatasetCache.GetAsync(load.Data, ModelSpec.LabelRuleFor(load.Options.Model, load.Options.Task));
            admission.Reserve(load.Job, SiloAdmission.DataHolder(load.Job), SiloName, DataShape.BytesOf(data)); // one holder per job and silo: its workers share the data
        }
        catch
        {
            LeaveJob();
            throw;
        }
        var kernel = KernelChoice.Select(load.Kernel);
        return new DataShape(data.Train.Name, data.Features, data.Classes, data.Train.Count, data.Validation?.Count ?? 0, data.Test?.Count ?? 0,
            data.Preprocessor, data.TestFraction, kernel.Name, kernel.Identity, SiloName, JobSpec.ThisProcess, admission.Available(), data.ClassNames, admission.Describe(), data.Train.ImageShape, data.Train.MissingMeans);
    }

    public async Task Setup(WorkerSetup setup)
    {
        var options = setup.Options;
        roots.Check(setup.Data);
        Admit(setup.Job);
        var data = await DatasetCache.GetAsync(setup.Data, ModelSpec.LabelRuleFor(options.Model, options.Task));
        var kernel = KernelChoice.Select(setup.Kernel);
        var network = new Network(ReferenceTrainer.SpecFor(options, data));
        var plan = new PartitionPlan(data.Train.Count, options.Partitions, options.Batch, options.Seed);
        // reserved before the buffers are allocated: a job that raced another for the silo's room is refused here
        var reserved = setup.MaxBatch > plan.GlobalBatch ? plan.WithBatch(setup.MaxBatch) : plan; // --batch auto: room for the largest batch it may choose
        admission.Reserve(setup.Job, Key, SiloName,
            MemoryEstimate.Worker(network.Spec, network.ParameterCount, setup.PartitionCount, reserved.MicroBatch.Max(), options.Threads)
                .Add(MemoryEstimate.WorkerState(options, network.ParameterCount, GradientSums.AlignedBlocks(setup.FirstPartition, setup.PartitionCount).Count,
                    setup.Wire == JobWire.Bfloat16, localSgd: false)).Bytes); // local SGD's optimiser is made at its first round
        var gradients = new PartitionGradients(network, kernel, data.Train, plan, setup.FirstPartition, setup.PartitionCount, options.Threads);
        _job = new Job(setup, data, kernel, network, plan, gradients);
    }

    public Task<StepSums> ComputeGradient(int epoch, int step, int batch, long version, FloatVector? weights)
    {
        var job = Current();
        using var span = TrainerTelemetry.Source.StartActivity("gradient");
        span?.SetTag("job", job.Setup.Job).SetTag("worker", job.Setup.Index).SetTag("epoch", epoch).SetTag("step", step);
        var sums = job.ForTheWire(job.GradientsFor(batch).Compute(job.WeightsOf(version, weights), job.OrdersFor(epoch), epoch, step));
        if (job.Setup.ServerHere) foreach (var (_, sum) in sums.Blocks) ProcessVectors.MarkInProcess(sum); // read before the next call overwrites it
        return Task.FromResult(sums);
    }

    public async Task<StepSums> ComputeShardedGradient(int epoch, int step, long globalStep, IParameterShardGrain[] shards, int[] shardStarts, SiloAddress[] shardSilos)
    {
        var job = Current();
        using var span = TrainerTelemetry.Source.StartActivity("gradient");
        span?.SetTag("job", job.Setup.Job).SetTag("worker", job.Setup.Index).SetTag("epoch", epoch).SetTag("step", step);
        var weights = job.ShardedWeights ??= new float[shardStarts[^1]];
        var slices = await job.Pulled(globalStep, shards, silo.SiloAddress);
        for (var s = 0; s < shards.Length; s++) slices[s].Values.CopyTo(weights, shardStarts[s]);

        var sums = job.ForTheWire(job.Gradients.Compute(weights, job.OrdersFor(epoch), epoch, step));
        await Task.WhenAll(shards.Select((shard, s) => shard.Push(globalStep,
            sums with { Blocks = sums.Blocks.Select(b => (b.Start, Slice(b.Sum, shardStarts[s], shardStarts[s + 1], shardSilos[s]))).ToArray() })));
        job.PullAhead(globalStep + 1, shards, silo.SiloAddress); // answered as soon as the shards have applied this step
        return sums.WithoutBlocks();
    }

    public Task<LocalRound> ComputeLocalRound(int epoch, int firstStep, int steps, long globalStep, long version, FloatVector? weights)
    {
        var job = Current();
        using var span = TrainerTelemetry.Source.StartActivity("local-round");
        span?.SetTag("job", job.Setup.Job).SetTag("worker", job.Setup.Index).SetTag("epoch", epoch).SetTag("step", firstStep);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var start = job.WeightsOf(version, weights);
        var local = (float[])start.Clone(); // the sent weights are the server's (by handle in this process): never changed here
        var (loss, rows) = (0.0, 0);
        for (var j = 0; j < steps; j++)
        {
            var sums = job.Gradients.Compute(local, job.OrdersFor(epoch), epoch, firstStep + j);
            loss += job.LocalUpdate.ApplyArrival(sums, local, globalStep + j, epoch);
            rows += sums.Rows;
        }
        System.Numerics.Tensors.TensorPrimitives.Subtract(start, local, local); // the move: start − end
        var move = new FloatVector(local) { InProcess = job.Setup.ServerHere }; // a fresh array: its server may take it by handle
        return Task.FromResult(new LocalRound(move, loss, rows, clock.Elapsed.TotalSeconds));
    }

    /// <summary>A block sum's slice for a shard: a fresh array, so by handle to a shard in this process (it keeps it until its step is applied).</summary>
    private static float[] Slice(float[] sum, int start, int end, SiloAddress shard)
    {
        var slice = sum[start..end];
        if (ProcessVectors.IsHere(shard)) ProcessVectors.MarkInProcess(slice);
        return slice;
    }

    public Task<ChunkSums> Evaluate(DataPart part, long version, FloatVector? weights)
    {
        var job = Current();
        var data = part == DataPart.Validation ? job.Data.Validation : job.Data.Test;
        if (data is null) return Task.FromResult(new ChunkSums(0, []));
        var (first, count) = Evaluator.ChunkRange(data.Count, job.Setup.Index, job.Setup.Workers);
        var sums = Evaluator.ChunkSums(job.Network, job.Kernel, job.WeightsOf(version, weights), data, first, count, job.Setup.Options.Threads);
        return Task.FromResult(new ChunkSums(first, sums));
    }

    public Task Release()
    {
        _job = null;
        LeaveJob();
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        LeaveJob();
        return Task.CompletedTask;
    }

    /// <summary>This worker joins its job's place on the silo (a full silo refuses a job new to it).</summary>
    private void Admit(string job)
    {
        if (_admitted == job) return;
        LeaveJob();
        admission.Join(job, Key, SiloName);
        _admitted = job;
    }

    private void LeaveJob()
    {
        if (_admitted is not { } job) return;
        admission.Leave(job, Key);
        _admitted = null;
    }

    private Job Current() => _job ?? throw new WorkerStateLostException($"worker {this.GetPrimaryKeyString()} has no job: it was not set up, or its activation is new");

    private sealed record Job(WorkerSetup Setup, PreparedData Data, IKernel Kernel, Network Network, PartitionPlan Plan, PartitionGradients Gradients)
    {
        private int _ordersEpoch = -1;
        private int[][] _orders = [];
        private (long Version, FloatVector? Weights) _held = (-1, null);

        /// <summary>The weights as pulled from a sharded parameter server.</summary>
        public float[]? ShardedWeights { get; set; }

        private (long Step, Task<FloatVector[]> Slices)? _ahead;
        private PartitionGradients? _batchGradients;
        private readonly ErrorFeedback? _feedback = Setup.Wire == JobWire.Bfloat16 ? new() : null;
        private Update? _localUpdate;

        /// <summary>local-sgd mode: this worker's own optimiser (its velocity stays from round to round; a new activation starts without one).</summary>
        public Update LocalUpdate => _localUpdate ??= new Update(Network, Setup.Options, Plan.Partitions, Plan.StepsPerEpoch);

        /// <summary>
        /// The sums as the job's wire sends them: as computed (float32), or rounded to bfloat16 with this
        /// worker's error feedback (bf16). A new activation starts with no residuals.
        /// </summary>
        public StepSums ForTheWire(StepSums sums)
        {
            if (_feedback is null) return sums;
            _feedback.KeepOnly(sums.Blocks.Select(b => (b.Start, b.Sum.Length)));
            foreach (var (start, sum) in sums.Blocks) _feedback.Round(start, sum);
            return sums with { Bfloat16 = true };
        }

        /// <summary>The gradients of the partitions walked in micro-batches of <paramref name="batch"/>: the job's own, or made again when --batch auto changed it.</summary>
        public PartitionGradients GradientsFor(int batch)
        {
            if (batch == Plan.GlobalBatch || batch <= 0) return Gradients;
            if (_batchGradients is { } made && made.Plan.GlobalBatch == batch) return made;
            return _batchGradients = new PartitionGradients(Network, Kernel, Data.Train, Plan.WithBatch(batch), Gradients.FirstPartition, Gradients.PartitionCount, Setup.Options.Threads);
        }

        /// <summary>Asks the shards for a step's weights now, to have them when the step is called.</summary>
        public void PullAhead(long step, IParameterShardGrain[] shards, SiloAddress reader)
        {
            var pull = Task.WhenAll(shards.Select(shard => shard.WeightsFor(step, reader)));
            pull.ContinueWith(t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted); // unused when the step is not called: not an unobserved fault
            _ahead = (step, pull);
        }

        /// <summary>A step's weights: pulled ahead, or now.</summary>
        public Task<FloatVector[]> Pulled(long step, IParameterShardGrain[] shards, SiloAddress reader)
        {
            if (_ahead is { } ahead && ahead.Step == step && !ahead.Slices.IsFaulted) return ahead.Slices;
            return Task.WhenAll(shards.Select(shard => shard.WeightsFor(step, reader)));
        }

        /// <summary>The weights sent for a version, kept; or, when none are sent, those kept for that version.</summary>
        public float[] WeightsOf(long version, FloatVector? sent)
        {
            if (sent is not null) _held = (version, sent);
            else if (_held.Version != version || _held.Weights is null)
                throw new WorkerStateLostException($"worker {Setup.Index} of job {Setup.Job} holds weights version {_held.Version}, was asked to use version {version}");
            return _held.Weights!.Values;
        }

        /// <summary>This worker's partitions' orders for the epoch (indexed by absolute partition; others empty).</summary>
        public int[][] OrdersFor(int epoch)
        {
            if (epoch == _ordersEpoch) return _orders;
            _orders = new int[Plan.Partitions][];
            for (var p = 0; p < Plan.Partitions; p++)
                _orders[p] = p >= Gradients.FirstPartition && p < Gradients.FirstPartition + Gradients.PartitionCount ? Plan.EpochOrder(p, epoch) : [];
            _ordersEpoch = epoch;
            return _orders;
        }
    }
}
