namespace Trainer.Grains.Hosting;

/// <summary>
/// The 'trainer resume' command a job's message names. A grain knows only the job; the trainer that
/// prints the message knows how it reached the cluster (its --cluster, checkpoint folder and TLS
/// options) and puts the whole command in its place (<see cref="Complete"/>), so that the printed line works as it stands.
/// </summary>
public static class ResumeHint
{
    /// <summary>The command as a grain writes it: the job alone, in quotes.</summary>
    public static string Of(string job) => $"'trainer resume --job {job}'";

    /// <summary>The message with the grain's short command replaced by <paramref name="command"/>, the trainer's own.</summary>
    public static string Complete(string message, string job, string command) =>
        message.Replace(Of(job), command, StringComparison.Ordinal);
}
