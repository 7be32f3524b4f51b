using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Trainer.Client.Cluster;
using Trainer.Core.Data;
using Trainer.Core.Scaling;
using Trainer.Core.Training;
using Trainer.Grains.Hosting;
using Trainer.Grains.ParameterServer;
using Trainer.Grains.Tests.Support;

namespace Trainer.Grains.Tests;

/// <summary>
/// --batch auto keeps the determinism contract: with the step-cost fit pinned (or a schedule
/// replayed) the schedule is a function of the noise statistics alone, which are the same bits on any
/// worker count, so the cluster's weights equal the reference trainer's; a resume continues the
/// recorded schedule; and a report.json replays to the same weights.
/// </summary>
public sealed class AutoBatchTests(Clusters clusters) : IClassFixture<Clusters>
{
    private static readonly DataSpec Data = new("digits");

    // a large fixed cost per step (20 ms) against 10 µs a sample: goodput grows with the batch until
    // efficiency falls, so the policy leaves batch 32 for the grid's top (digits: 256) after epoch 1
    private static readonly TrainOptions Options = new()
    {
        Model = "mlp", Hidden = [32], Epochs = 5, Batch = 32, Patience = 0,
        AutoBatch = new AutoBatchOptions { Min = 32, Cost = new StepCostFit(20, 0.01) },
    };

    private static int[] Batches(TrainingResult result) => result.Epochs.Select(e => e.Stats.Batch).ToArray();
    private static double[] Gains(TrainingResult result) => result.Epochs.Select(e => e.Stats.AutoBatch!.LrGain).ToArray();

    [Fact]
    public async Task Auto_batch_with_a_pinned_cost_gives_the_reference_weights_on_1_2_and_3_workers()
    {
        var reference = Training.Reference(Data, Options);
        var batches = Batches(reference);
        Assert.Equal(32, batches[0]);
        Assert.True(batches.Distinct().Count() > 1, $"the schedule never changed the batch: {string.Join(',', batches)}");
        Assert.Contains(Gains(reference), g => g > 1); // AdaScale's gain for the larger batch
        Assert.NotEqual(Training.Reference(Data, Options with { AutoBatch = null }).WeightsSha256, reference.WeightsSha256);

        var cluster = await clusters.WithSilos(2);
        foreach (var workers in new[] { 1, 2, 3 })
        {
            var result = await Training.OnCluster(cluster.Grains, Data, Options, workers);
            Assert.True(reference.WeightsSha256 == result.WeightsSha256, $"{workers} workers: the weights differ from the reference");
            Assert.Equal(batches, Batches(result));
            Assert.Equal(Gains(reference), Gains(result));
            Assert.Equal(reference.Epochs.Select(e => e.Stats.NoiseScale), result.Epochs.Select(e => e.Stats.NoiseScale));
        }
    }

    [Fact]
    public async Task A_replayed_schedule_gives_the_same_weights_without_a_cost_fit()
    {
        var reference = Training.Reference(Data, Options);
        var replay = Options with { AutoBatch = new AutoBatchOptions { Min = 32, Replay = reference.Epochs.Select(e => e.Stats.AutoBatch!).ToList() } };
        var cluster = await clusters.WithSilos(2);
        var result = await Training.OnCluster(cluster.Grains, Data, replay, workers: 2);
        Assert.Equal(reference.WeightsSha256, result.WeightsSha256);
        Assert.All(result.Epochs, e => Assert.Equal(BatchSchedule.Replayed, e.Stats.AutoBatch!.Source));
        Assert.Equal(Batches(reference), Batches(result));
    }

    /// <summary>Cancelled in epoch 3 (checkpoints at every step), resumed from its checkpoint: the recorded schedule goes on, and the weights are the uninterrupted job's.</summary>
    [Fact]
    public async Task A_resumed_auto_batch_job_ends_with_the_uninterrupted_weights()
    {
        var options = Options with { Epochs = 8 };
        var cluster = await clusters.WithSilos(2);
        var uninterrupted = await Training.OnCluster(cluster.Grains, Data, options, workers: 2);

        var job = "auto-resume-" + Guid.NewGuid().ToString("N")[..6];
        var server = cluster.Grains.GetGrain<IParameterServerGrain>(job);
        var cancel = new CancelAfterEpoch(2, () => server.Cancel().GetAwaiter().GetResult());
        var fault = await Assert.ThrowsAsync<JobFaultException>(() => Training.OnCluster(cluster.Grains, Data, options, workers: 2, job: job, observer: cancel, checkpointEvery: 1));
        Assert.Equal(JobFaultException.Cancelled, fault.Kind);

        var (resumed, at) = await ClusterJob.ResumeAsync(cluster.Grains, job);
        Assert.True(at.CompletedEpochs is >= 2 and < 8, $"resumed after {at.CompletedEpochs} epochs");
        var result = await resumed.RunAsync(SilentObserver.Instance, CancellationToken.None);
        await resumed.FinishAsync();

        Assert.Equal(uninterrupted.WeightsSha256, result.WeightsSha256);
        Assert.Equal(Batches(uninterrupted), Batches(result));
        Assert.True(Batches(result).Distinct().Count() > 1);
    }

    /// <summary>
    /// A worker's silo lost in the middle of an epoch at a batch the schedule chose (three silos, Redis
    /// membership): the server re-places the workers, the epoch goes on at its recorded batch, and the
    /// job ends with the reference weights.
    /// </summary>
    [Fact]
    [Trait("Category", "Slow")]
    public async Task Losing_a_workers_silo_mid_epoch_keeps_the_schedule_and_the_reference_weights()
    {
        var data = new DataSpec("fashion-mnist", ValFraction: 0.05);
        var options = new TrainOptions
        {
            Model = "softmax", Epochs = 3, Batch = 32, LearningRate = 0.01, Patience = 0,
            AutoBatch = new AutoBatchOptions { Min = 32, Max = 64, Cost = new StepCostFit(20, 0.01) }, // 32, then 64: an epoch of 800 steps, long enough to lose a silo in
        };
        var reference = Training.Reference(data, options);
        Assert.True(Batches(reference).Distinct().Count() > 1, string.Join(',', Batches(reference)));

        await using var redis = await RedisServer.StartAsync();
        // at a step's call, not at a progress line: the server reports progress every 200 ms, and epoch 2's
        // 800 softmax steps can take less than that on a quiet machine
        var stop = new StopAtStep(Epoch: 2, Step: 100);
        await using var cluster = await EmbeddedCluster.StartAsync(3, redis: redis.Endpoint, configure: silo => silo.AddIncomingGrainCallFilter(stop));
        var silos = cluster.Hosts.Select(h => h.Services.GetRequiredService<Orleans.Runtime.ILocalSiloDetails>().SiloAddress.ToString()).ToList();
        var ordered = silos.Order(StringComparer.Ordinal).ToList(); // the server with worker 0 on the first, worker 1 on the second
        stop.Stop = () => cluster.StopSiloAsync(silos.IndexOf(ordered[1]));
        var result = await Training.OnCluster(cluster.GrainsOf(silos.IndexOf(ordered[2])), data, options, workers: 3, checkpointEvery: 50);
        await stop.Stopping;

        Assert.True(stop.Stopped, "no silo was stopped");
        Assert.Equal(2, cluster.Hosts.Count);
        Assert.Equal(Batches(reference), Batches(result));
        Assert.Equal(reference.WeightsSha256, result.WeightsSha256);
    }

    /// <summary>Stops a silo (once) when the first worker is asked for this step's gradient.</summary>
    private sealed class StopAtStep(int Epoch, int Step) : IIncomingGrainCallFilter
    {
        private int _started;
        private Task? _stopping;
        public Func<Task> Stop { get; set; } = () => Task.CompletedTask;
        public Task Stopping => _stopping ?? Task.CompletedTask;
        public bool Stopped { get; private set; }

        public Task Invoke(IIncomingGrainCallContext context)
        {
            if (context.InterfaceMethod?.Name == nameof(Workers.IWorkerGrain.ComputeGradient)
                && context.Request.GetArgument(0) is int epoch && epoch == Epoch && context.Request.GetArgument(1) is int step && step == Step
                && Interlocked.Exchange(ref _started, 1) == 0)
                _stopping = Task.Run(async () => { await Stop(); Stopped = true; });
            return context.Invoke();
        }
    }

    /// <summary>Through the command line: a local run's report.json, replayed by --batch-schedule on a two-silo cluster, gives its weights.</summary>
    [Fact]
    public async Task A_report_replays_to_the_same_weights_on_a_cluster()
    {
        var root = Path.Combine(Path.GetTempPath(), "trainer-auto-" + Guid.NewGuid().ToString("N")[..6]);
        try
        {
            string[] job = ["train", "--hidden", "32", "--epochs", "5", "--patience", "0", "--batch", "auto", "--batch-min", "32"];
            var first = await Cli([.. job, "--batch-cost", "20,0.01", "--cluster", "local", "--out", Path.Combine(root, "local")]);
            var report = Path.Combine(root, "local", "report.json");
            var replayed = await Cli([.. job, "--batch-schedule", report, "--cluster", "embedded:2", "--out", Path.Combine(root, "cluster")]);
            Assert.True(first == 0 && replayed == 0, $"exit codes {first}, {replayed}");

            var (a, b) = (Read(report), Read(Path.Combine(root, "cluster", "report.json")));
            Assert.Equal(a.GetProperty("weightsSha256").GetString(), b.GetProperty("weightsSha256").GetString());
            int[] BatchesOf(JsonElement r) => r.GetProperty("epochs").EnumerateArray().Select(e => e.GetProperty("batch").GetInt32()).ToArray();
            Assert.True(BatchesOf(a).Distinct().Count() > 1);
            Assert.Equal(BatchesOf(a), BatchesOf(b));
            Assert.All(b.GetProperty("epochs").EnumerateArray(), e => Assert.Equal("replayed", e.GetProperty("batchDecision").GetProperty("source").GetString()));
            var epoch = a.GetProperty("epochs")[1];
            foreach (var field in new[] { "lrGain", "efficiency", "goodput" }) Assert.True(epoch.GetProperty(field).GetDouble() > 0, field);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    private static JsonElement Read(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    private static async Task<int> Cli(string[] args)
    {
        var (output, errors) = (new StringWriter(), new StringWriter());
        var code = await Client.Cli.RunAsync(args, output, errors);
        Assert.True(code == 0, $"exit {code}: {errors}\n{output}");
        return code;
    }

    /// <summary>Cancels the job (blocking the event stream until it is asked) once an epoch is done.</summary>
    private sealed class CancelAfterEpoch(int epoch, Action cancel) : ITrainingObserver
    {
        private bool _done;

        public void EpochCompleted(EpochReport report, int epochs, EpochVerdict? verdict)
        {
            if (report.Epoch < epoch || _done) return;
            _done = true;
            cancel();
        }
    }
}
