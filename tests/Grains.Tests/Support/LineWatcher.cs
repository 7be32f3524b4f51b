using System.Text;

namespace Trainer.Grains.Tests.Support;

/// <summary>A TextWriter for the CLI's output that lets a test await a line, instead of sleeping.</summary>
internal sealed class LineWatcher : TextWriter
{
    private readonly StringBuilder _text = new();
    private readonly List<(string Text, TaskCompletionSource Seen)> _waits = [];

    public override Encoding Encoding => Encoding.UTF8;

    private readonly List<(string Text, Func<Task> Action)> _holds = [];

    public override void Write(char value)
    {
        Func<Task>? hold = null;
        lock (_text)
        {
            _text.Append(value);
            if (value != '\n') return;
            var all = _text.ToString();
            foreach (var (text, seen) in _waits) if (all.Contains(text)) seen.TrySetResult();
            var at = _holds.FindIndex(h => all.Contains(h.Text));
            if (at >= 0) { hold = _holds[at].Action; _holds.RemoveAt(at); }
        }
        hold?.Invoke().GetAwaiter().GetResult(); // outside the lock: the action may itself wait for lines
    }

    /// <summary>
    /// Once a line containing <paramref name="text"/> is written, runs <paramref name="action"/> to its end
    /// before the writer returns: the trainer, which writes the line, waits for it. A cluster job's server
    /// only runs while the trainer pulls its progress, so the job holds still at that line, however fast it
    /// is and however busy the test host; a fault injected there lands at a known point.
    /// </summary>
    public void At(string text, Func<Task> action)
    {
        lock (_text) _holds.Add((text, action));
    }

    public Task Seen(string text)
    {
        lock (_text)
        {
            var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_text.ToString().Contains(text)) seen.SetResult();
            else _waits.Add((text, seen));
            return seen.Task;
        }
    }

    public override string ToString() { lock (_text) return _text.ToString(); }
}
