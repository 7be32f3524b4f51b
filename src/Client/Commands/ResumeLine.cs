using System.Text.RegularExpressions;
using Trainer.Grains.Hosting;

namespace Trainer.Client.Commands;

/// <summary>
/// The 'trainer resume' line a trainer prints for a job whose checkpoint stays: the job, and what
/// this trainer used to reach the cluster and its checkpoints (--cluster always, since resume's
/// default is embedded:2; the checkpoint folder of an embedded cluster; the TLS files), so that the
/// line runs as printed. A password is never printed: the line says where resume reads it.
/// </summary>
public static partial class ResumeLine
{
    public static string For(string job, ClusterSpec cluster, string? checkpointDir, TlsSettings? tls)
    {
        var words = new List<string> { "trainer", "resume", "--job", job, "--cluster", cluster.ToString() };
        if (checkpointDir is not null) words.AddRange(["--checkpoint-dir", Path.GetFullPath(checkpointDir)]);
        if (tls?.CertificateFile is { } certificate) words.AddRange(["--tls-certificate", Path.GetFullPath(certificate)]);
        if (tls?.StoreSubject is { } subject) words.AddRange(["--tls-store-subject", subject]);
        if (tls?.CaFile is { } ca) words.AddRange(["--tls-ca", Path.GetFullPath(ca)]);
        var line = $"'{string.Join(' ', words.Select(Quoted))}'";
        return tls?.Password is null ? line : $"{line} (with the certificate's password in TRAINER_TLS_PASSWORD)";
    }

    /// <summary>A word as a shell takes it: as it is when it is plain, else in double quotes.</summary>
    private static string Quoted(string word) => Plain().IsMatch(word) ? word : $"\"{word.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("$", "\\$").Replace("`", "\\`")}\"";

    [GeneratedRegex(@"^[A-Za-z0-9_./:,=@+%-]+$")]
    private static partial Regex Plain();
}
