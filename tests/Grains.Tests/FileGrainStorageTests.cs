using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Serialization;
using Trainer.Core.Training;
using Trainer.Grains.Checkpoints;
using Trainer.Grains.ParameterServer;
using Trainer.Grains.Hosting;
using Trainer.Grains.Transport;

namespace Trainer.Grains.Tests;

public sealed class FileGrainStorageTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "trainer-storage-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly FileGrainStorage _storage;
    private readonly GrainId _grain = GrainId.Create("parameterserver", "job-a");

    public FileGrainStorageTests()
    {
        var serializer = new ServiceCollection().AddSerializer(s => s.AddTrainerSerialization()).BuildServiceProvider().GetRequiredService<Serializer>();
        _storage = new FileGrainStorage(_root, serializer, NullLogger<FileGrainStorage>.Instance);
    }

    public void Dispose() => Directory.Delete(_root, true);

    private async Task Write(long step)
    {
        var loop = new LoopState { Stopping = new EarlyStoppingState(2, 0.9, 0.3, 1, false), BestWeights = [step, 5f, 6f] };
        var state = new GrainState<JobState>(new JobState
        {
            Weights = new FloatVector([step, 2f, 3f]),
            Update = new UpdateState { Step = step, Velocity = [0.5f, step, 1.5f], FirstMeanLoss = 2.25, Noise = new NoiseScaleState(1, 2, 0.5) },
            Loop = loop,
        });
        await _storage.WriteStateAsync("job", _grain, state);
    }

    private async Task<GrainState<JobState>> Read()
    {
        var state = new GrainState<JobState>(new JobState());
        await _storage.ReadStateAsync("job", _grain, state);
        return state;
    }

    private string CurrentFile => Directory.GetFiles(_root, "job.checkpoint", SearchOption.AllDirectories).Single();

    [Fact]
    public async Task The_newest_checkpoint_is_read_back()
    {
        await Write(10);
        await Write(20);
        var state = await Read();
        Assert.True(state.RecordExists);
        Assert.Equal(20, state.State!.Update!.Step);
        Assert.Equal([20f, 2f, 3f], state.State.Weights!.Values);
        // the update's and the loop's state go through their surrogates whole
        Assert.Equal([0.5f, 20f, 1.5f], state.State.Update.Velocity);
        Assert.Equal((2.25, new NoiseScaleState(1, 2, 0.5)), (state.State.Update.FirstMeanLoss!.Value, state.State.Update.Noise));
        Assert.Equal([20f, 5f, 6f], state.State.Loop!.BestWeights!);
        Assert.Equal(new EarlyStoppingState(2, 0.9, 0.3, 1, false), state.State.Loop.Stopping);
        Assert.Null(state.State.RecoveryNote);
        Assert.Empty(Directory.GetFiles(_root, "*.partial", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("corrupted", "SHA-256 does not match")]
    [InlineData("truncated", "truncated")]
    public async Task A_damaged_checkpoint_is_detected_reported_and_the_previous_one_used(string damage, string reported)
    {
        await Write(10);
        await Write(20);
        var bytes = File.ReadAllBytes(CurrentFile);
        if (damage == "corrupted") bytes[^3] ^= 0xFF;
        else bytes = bytes[..(bytes.Length / 2)];
        File.WriteAllBytes(CurrentFile, bytes);

        var state = await Read();

        Assert.Equal(10, state.State!.Update!.Step);
        Assert.Contains(reported, state.State.RecoveryNote);
        Assert.Contains("using the previous checkpoint", state.State.RecoveryNote);
    }

    [Fact]
    public async Task Without_any_usable_checkpoint_the_damage_is_an_error_not_a_fresh_start()
    {
        await Write(10);
        File.WriteAllBytes(CurrentFile, "garbage"u8.ToArray());
        var error = await Assert.ThrowsAsync<InvalidDataException>(Read);
        Assert.Contains("is damaged (not a checkpoint file), and no usable previous checkpoint exists", error.Message);
    }

    [Fact]
    public async Task Clearing_removes_the_checkpoints()
    {
        await Write(10);
        await Write(20);
        await _storage.ClearStateAsync("job", _grain, new GrainState<JobState>(new JobState()));
        Assert.False((await Read()).RecordExists);
    }
}
