using Trainer.Core.Models;
using Trainer.Core.Training;

namespace Trainer.Core.Tests.Training;

public sealed class MemoryEstimateTests
{
    private static ModelSpec Mlp(params int[] hidden) => new(ModelSpec.Mlp, 64, 10, hidden);

    [Fact]
    public void Parameters_are_counted_without_overflow_and_a_model_too_big_for_one_vector_is_refused()
    {
        Assert.Equal(19_210, Network.CountParameters(Mlp(256)));
        Assert.Equal(7_500_000_010, Network.CountParameters(Mlp(100_000_000)));
        var error = Assert.Throws<UserInputException>(() => new Network(Mlp(100_000_000)));
        Assert.Equal("the model mlp 64-100000000-10 relu would have 7,500,000,010 parameters, more than one float32 vector holds (2,147,483,591); use smaller --hidden widths", error.Message);
    }

    [Fact]
    public void The_local_estimate_counts_every_parameter_vector_and_the_batch_buffers()
    {
        var spec = Mlp(20_000, 20_000);
        var parameters = Network.CountParameters(spec);
        var estimate = MemoryEstimate.Local(spec, new TrainOptions { Partitions = 8 }, microBatch: 8);
        // weights, mean gradient and two copies; velocity; one sum for the one block of 8 partitions (a dense network's partitions own no gradients)
        Assert.Equal((4 + 1 + 1) * parameters * 4, estimate.Items.Where(i => i.Item != "batch buffers").Sum(i => i.Bytes));
        Assert.Equal(8 * Network.WorkspaceFloats(spec, 8) * 4 + 2 * Network.WorkspaceFloats(spec, Evaluator.ChunkRows) * 4,
            estimate.Items.Single(i => i.Item == "batch buffers").Bytes);
    }

    [Fact]
    public void A_workers_own_state_is_a_residual_per_block_on_the_bf16_wire_and_an_optimiser_with_weights_in_local_sgd()
    {
        const long parameters = 1_000;
        var momentum = new TrainOptions { Momentum = 0.9 };
        Assert.Empty(MemoryEstimate.WorkerState(momentum, parameters, blocks: 3, bfloat16Wire: false, localSgd: false).Items);
        Assert.Equal(3 * parameters * 4, MemoryEstimate.WorkerState(momentum, parameters, 3, bfloat16Wire: true, localSgd: false).Bytes);
        // velocity, mean gradient, local weights and the tree's scratch for 3 blocks
        Assert.Equal((3 + 2) * parameters * 4, MemoryEstimate.WorkerState(momentum, parameters, 3, bfloat16Wire: false, localSgd: true).Bytes);
        Assert.Equal((2 + 0) * parameters * 4, MemoryEstimate.WorkerState(new TrainOptions { Momentum = 0 }, parameters, 1, false, true).Bytes);
    }

    [Fact]
    public void An_estimate_over_what_the_machine_has_is_one_line_with_both_figures()
    {
        var estimate = new MemoryEstimate().Vectors("weights", 1, 1L << 28).Vectors("gradient sums", 4, 1L << 28);
        var error = Assert.Throws<UserInputException>(() => estimate.EnsureFits("in this process", 2L << 30));
        Assert.Equal("the job needs about 5.0 GB of memory in this process (gradient sums 4.0 GB, weights 1.0 GB), and this machine has 2.0 GB available; " +
                     "use a smaller model, fewer --partitions or more silos", error.Message);
        estimate.EnsureFits("in this process", 5L << 30);
    }

    [Fact]
    public void The_workspace_is_counted_as_the_network_allocates_it()
    {
        var spec = Mlp(32, 16);
        var ws = new Network(spec).CreateWorkspace(7);
        Assert.Equal(7 * (64 + 1) + 7 * (32 * 4 + 16 * 4 + 10 * 2), Network.WorkspaceFloats(spec, 7));
        Assert.Equal(7 * 65, ws.BatchX.Length + ws.BatchY.Length);
    }

    [Fact]
    public void The_machine_has_some_memory_available()
    {
        Assert.InRange(MachineMemory.AvailableBytes(), 1L << 20, long.MaxValue);
    }
}
