using Orleans.Storage;
using Trainer.Grains.Checkpoints;
using Trainer.Grains.Hosting;

namespace Trainer.Grains.Tests;

/// <summary>The checkpoint writer's rules for a store that blinks, on a clock the test moves.</summary>
public sealed class CheckpointWriterTests
{
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => _ticks;
        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }

    private readonly ManualClock _clock = new();
    private readonly Queue<Exception?> _outcomes = new(); // what each write does: null succeeds
    private int _writes, _refreshes;

    private CheckpointWriter Writer(double patienceSeconds = 30) => new("job-1", () =>
    {
        _writes++;
        return _outcomes.TryDequeue(out var e) && e is not null ? Task.FromException(e) : Task.CompletedTask;
    }, () => { _refreshes++; return Task.CompletedTask; }, _clock, TimeSpan.FromSeconds(patienceSeconds));

    [Fact]
    public async Task A_write_that_finds_the_store_out_is_put_off_then_retried_once_a_second_until_it_lands()
    {
        var writer = Writer();
        _outcomes.Enqueue(new IOException("connection refused"));
        Assert.False(await writer.WriteAsync());
        Assert.Equal((1, 1), (writer.Deferred, writer.DeferredInOutage));
        Assert.Equal("connection refused", writer.Owing);
        Assert.False(writer.RetryDue);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(writer.RetryDue);
        _outcomes.Enqueue(new TimeoutException("no answer"));
        Assert.False(await writer.RetryAsync()); // a retry that fails is no new deferred checkpoint
        Assert.Equal((1, 1), (writer.Deferred, writer.DeferredInOutage));

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await writer.RetryAsync());
        Assert.Equal((1, 0), (writer.Deferred, writer.DeferredInOutage));
        Assert.Null(writer.Owing);
        Assert.False(writer.RetryDue);
        Assert.Equal(3, _writes);
    }

    [Fact]
    public async Task A_store_out_for_longer_than_the_patience_ends_the_job_as_store_lost()
    {
        var writer = Writer(patienceSeconds: 5);
        _outcomes.Enqueue(new IOException("connection refused"));
        Assert.False(await writer.WriteAsync());
        _clock.Advance(TimeSpan.FromSeconds(4));
        _outcomes.Enqueue(new IOException("connection refused"));
        Assert.False(await writer.RetryAsync()); // within the patience
        _clock.Advance(TimeSpan.FromSeconds(2));
        _outcomes.Enqueue(new IOException("connection refused"));

        var lost = await Assert.ThrowsAsync<JobFaultException>(writer.RetryAsync);
        Assert.Equal(JobFaultException.StoreLost, lost.Kind);
        Assert.Equal("job job-1: the checkpoint store has been unreachable for 6 s (connection refused); training stopped, its last checkpoint is kept; " +
                     "when the store is back, 'trainer resume --job job-1' continues it", lost.Message);
    }

    [Fact]
    public async Task A_full_checkpoint_folder_is_put_off_like_an_outage_and_named_for_what_it_is_when_the_job_stops()
    {
        var writer = Writer(patienceSeconds: 5);
        var full = new CheckpointFolderException("no space left on /ck: 1,024 bytes free, a checkpoint needs 2,048", "free space or pass --checkpoint-dir", "free space");
        _outcomes.Enqueue(full);
        Assert.False(await writer.WriteAsync()); // space may be freed meanwhile: training goes on
        Assert.Equal("checkpoint put off: no space left on /ck: 1,024 bytes free, a checkpoint needs 2,048; training goes on, trying again every second", writer.PutOffNote);
        _clock.Advance(TimeSpan.FromSeconds(6));
        _outcomes.Enqueue(full);

        var lost = await Assert.ThrowsAsync<JobFaultException>(writer.RetryAsync);
        Assert.Equal(JobFaultException.StoreLost, lost.Kind);
        Assert.Equal("job job-1: no space left on /ck: 1,024 bytes free, a checkpoint needs 2,048; training stopped after 6 s of retries, its last checkpoint is kept: " +
                     "free space, then 'trainer resume --job job-1' continues it", lost.Message);
    }

    [Fact]
    public async Task A_job_that_cannot_start_for_its_folder_is_told_at_once_not_after_the_reconnect_wait()
    {
        var tries = 0;
        var folder = new CheckpointFolderException("cannot write checkpoints to /ck: permission denied", "make it writable or pass --checkpoint-dir", "make it writable");
        await Assert.ThrowsAsync<CheckpointFolderException>(() => CheckpointWriter.OnceTheStoreAnswers(() => { tries++; return Task.FromException(folder); }, _clock));
        Assert.Equal(1, tries);
    }

    [Fact]
    public async Task A_write_that_reached_the_store_before_its_answer_was_lost_is_written_again_with_the_stores_version_tag()
    {
        var writer = Writer();
        _outcomes.Enqueue(new InconsistentStateException("etag mismatch"));
        Assert.True(await writer.WriteAsync());
        Assert.Equal((2, 1, 0), (_writes, _refreshes, writer.Deferred));
    }

    [Fact]
    public async Task A_fault_that_is_no_outage_is_not_put_off()
    {
        var writer = Writer();
        _outcomes.Enqueue(new InvalidOperationException("a bug"));
        await Assert.ThrowsAsync<InvalidOperationException>(writer.WriteAsync);
        Assert.Equal(0, writer.Deferred);
    }
}
