using System.Text;

namespace Trainer.Grains.Tests.Support;

/// <summary>A TextWriter for the CLI's output that lets a test await a line, instead of sleeping.</summary>
internal sealed class LineWatcher : TextWriter
{
    private readonly StringBuilder _text = new();
    private readonly List<(string Text, TaskCompletionSource Seen)> _waits = [];

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        lock (_text)
        {
            _text.Append(value);
            if (value != '\n') return;
            var all = _text.ToString();
            foreach (var (text, seen) in _waits) if (all.Contains(text)) seen.TrySetResult();
        }
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
