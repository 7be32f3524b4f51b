using System.Diagnostics;
using System.Text.Json;
using Trainer.Client.CommandLine;
using Trainer.CommandLine;
using Trainer.Core;
using Trainer.Core.Data;
using Trainer.Core.Kernels;
using Trainer.Core.Models;
using Trainer.Core.Optim;
using Trainer.Core.Random;
using Trainer.Core.Training;

namespace Trainer.Client.Commands.Bench;

/// <summary>
/// <c>trainer bench kernel</c>: samples/s and GFLOP/s of one training step (forward, backward,
/// update) for a model shape and batch, per kernel, on one thread and on all cores, measured
/// through the same code the trainer runs (partitions side by side). A table, then JSON.
/// </summary>
public static class KernelBench
{
    public static IReadOnlyList<OptionInfo> Options { get; } =
    [
        new("--model", "model kind (default mlp)", "KIND") { Choices = ModelSpec.Kinds },
        new("--hidden", "MLP hidden widths (default 256)", "W[,W...]"),
        new("--activation", "hidden-layer activation (default relu)", "NAME") { Choices = ModelSpec.Activations },
        new("--layers", "cnn's layers, as train takes them (default: none, cnn needs it)", "LIST"),
        new("--pool", "lenet's and cnn's pooling max|avg (default max)", "KIND") { Choices = Trainer.Core.Models.Layers.PoolLayer.Kinds },
        new("--features", "input width (default 784, Fashion-MNIST; lenet and cnn: 1x28x28 images)", "D"),
        new("--classes", "classes (default 10)", "K"),
        new("--batch", "global batch (default 256)", "B"),
        new("--seconds", "measuring time per row of the table (default 2)", "S"),
        new("--kernels", "kernels to measure (default: openblas,managed, those available)", "LIST"),
        new("--core-types", "also measure OpenBLAS on one thread under each of these core types (a process each, OPENBLAS_CORETYPE set), against this process's auto kernel (default: none)", "LIST"),
        new("--threads", "thread counts to measure (default 1 and all cores)", "LIST"),
        new("--json", "also write the JSON to this file (default: print it only)", "FILE"),
    ];

    public static int Run(ParsedArguments args, TextWriter output, CancellationToken cancellation)
    {
        var kind = args.Choice("--model", ModelSpec.Mlp, ModelSpec.Kinds);
        var classes = kind is ModelSpec.LinearRegression ? 0 : kind is ModelSpec.LogisticRegression or ModelSpec.Perceptron or ModelSpec.Svm ? 2 : args.Int("--classes", 10, 2);
        var convolutional = kind is ModelSpec.LeNet or ModelSpec.Cnn;
        var spec = new ModelSpec(kind, convolutional ? 784 : args.Int("--features", 784, 1), classes,
            kind == ModelSpec.Mlp ? args.IntList("--hidden", [256]) : [], args.Choice("--activation", "relu", ModelSpec.Activations))
        {
            InputShape = convolutional ? [1, 28, 28] : null,
            Layers = kind == ModelSpec.Cnn ? string.Join(',', Trainer.Core.Models.Layers.LayerPlan.Parse(args.String("--layers") ?? throw new UserInputException("--layers: --model cnn needs its layers"))) : null,
            Pool = args.Choice("--pool", "max", Trainer.Core.Models.Layers.PoolLayer.Kinds),
        };
        var batch = args.Int("--batch", 256, 1);
        var seconds = args.Double("--seconds", 2, 0, 600, positive: true);
        var kernelNames = args.String("--kernels", OpenBlasKernel.TryLoad() is null ? "managed" : "openblas,managed").Split(',', StringSplitOptions.TrimEntries);
        var threadCounts = args.IntList("--threads", Environment.ProcessorCount > 1 ? [1, Environment.ProcessorCount] : [1]);

        var network = new Network(spec);
        var flopsPerSample = FlopsPerSample(spec, network);
        output.WriteLine($"bench kernel: {spec}, {network.ParameterCount:N0} parameters, batch {batch}, {seconds:G3} s per row, {Environment.ProcessorCount} cores");
        if (OpenBlasKernel.TryLoad() is { } blas)
            output.WriteLine($"openblas: {blas.Config}; core {blas.CoreType} ({(blas.ChosenCoreType is null ? "OPENBLAS_CORETYPE or OpenBLAS's choice" : "chosen for this machine's instruction sets")})");
        else output.WriteLine($"openblas: not used: {OpenBlasKernel.Problem}");
        output.WriteLine($"auto: {KernelChoice.Select("auto").Identity}");
        output.WriteLine($"{"kernel",-10}{"threads",8}{"samples/s",14}{"GFLOP/s",10}{"ms/step",10}");

        var rows = new List<object>();
        foreach (var name in kernelNames)
        {
            var kernel = KernelChoice.Select(name);
            foreach (var threads in threadCounts)
            {
                cancellation.ThrowIfCancellationRequested();
                var (samplesPerSecond, msPerStep) = Measure(network, kernel, batch, threads, seconds);
                var gflops = samplesPerSecond * flopsPerSample / 1e9;
                output.WriteLine($"{kernel.Name,-10}{threads,8}{samplesPerSecond,14:N0}{gflops,10:F1}{msPerStep,10:F3}");
                rows.Add(new { kernel = kernel.Name, identity = kernel.Identity, threads, samplesPerSecond = Math.Round(samplesPerSecond), gflops = Math.Round(gflops, 2), msPerStep = Math.Round(msPerStep, 4) });
            }
        }
        var coreTypes = args.Has("--core-types") ? CoreTypeBench.Run(args, output) : null;
        var json = JsonSerializer.Serialize(new { benchmark = "kernel", model = spec.ToString(), parameters = network.ParameterCount, batch, cores = Environment.ProcessorCount,
            auto = KernelChoice.Select("auto").Identity, results = rows, coreTypes });
        return BenchCommand.Finish(json, args, output);
    }

    /// <summary>Forward 2·in·out per dense layer (2·M·C·K²·positions per convolution), backward as much for dW and again for dX except at the input.</summary>
    private static double FlopsPerSample(ModelSpec spec, Network network)
    {
        double flops = 0;
        for (var l = 0; l < network.LayerCount; l++)
        {
            var layer = network.Layers[l];
            var multiplies = layer switch
            {
                Trainer.Core.Models.Layers.ConvLayer conv => (double)conv.WeightCount * conv.Output.Height * conv.Output.Width,
                Trainer.Core.Models.Layers.DenseLayer dense => dense.WeightCount,
                _ => 0,
            };
            flops += (l == 0 ? 4.0 : 6.0) * multiplies;
        }
        return flops;
    }

    /// <summary>Steps of the trainer's own gradient and update code over synthetic data, timed after a warm-up.</summary>
    private static (double SamplesPerSecond, double MsPerStep) Measure(Network network, IKernel kernel, int batch, int threads, double seconds)
    {
        var spec = network.Spec;
        var rows = batch * 4;
        var rng = new Rng(7);
        var x = new float[rows * spec.Features];
        for (var i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble();
        var y = new float[rows];
        for (var i = 0; i < rows; i++) y[i] = spec.IsRegression ? (float)rng.NextGaussian() : rng.NextInt(Math.Max(2, spec.Classes));
        var data = new Dataset("synthetic", rows, spec.Features, x, y, spec.Classes);

        var partitions = Math.Min(threads, batch);
        var plan = new PartitionPlan(rows, partitions, batch, 1);
        var gradients = new PartitionGradients(network, kernel, data, plan, 0, partitions, threads);
        var weights = network.Initialise(1);
        var update = new Update(network, new TrainOptions { Momentum = 0.9, LearningRate = 1e-3, Epochs = 1 }, partitions, plan.StepsPerEpoch, threads: threads);
        var orders = Enumerable.Range(0, partitions).Select(p => plan.EpochOrder(p, 1)).ToArray();

        void Step(int s)
        {
            var sums = gradients.Compute(weights, orders, 1, s % plan.StepsPerEpoch);
            update.Apply([sums], weights, 1);
            update.State.Step = 0; // the rate stays the constant 1e-3 (and the guard's reference the first step's)
        }

        var warmup = Stopwatch.StartNew();
        var step = 0;
        while (warmup.Elapsed.TotalSeconds < Math.Min(0.5, seconds / 4)) Step(step++);

        var clock = Stopwatch.StartNew();
        var steps = 0;
        while (clock.Elapsed.TotalSeconds < seconds) { Step(steps); steps++; }
        var elapsed = clock.Elapsed.TotalSeconds;
        return (steps * (double)batch / elapsed, elapsed * 1000 / steps);
    }
}
