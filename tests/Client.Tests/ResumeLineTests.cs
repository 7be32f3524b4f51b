using Trainer.Client.Commands;
using Trainer.Grains.Hosting;

namespace Trainer.Client.Tests;

/// <summary>The 'trainer resume' line a stopped job is told names everything that reaches its cluster and checkpoints, and reads back as those options.</summary>
public sealed class ResumeLineTests
{
    [Fact]
    public void The_line_names_the_cluster_the_checkpoint_folder_and_the_tls_files_never_the_password()
    {
        var tls = new TlsSettings("/certs/my node.pfx", "secret", null, "/certs/ca.pem");
        var line = ResumeLine.For("fm3", ClusterSpec.Parse("localhost:30000,30001"), null, tls);
        Assert.Equal("""'trainer resume --job fm3 --cluster localhost:30000,30001 --tls-certificate "/certs/my node.pfx" --tls-ca /certs/ca.pem' (with the certificate's password in TRAINER_TLS_PASSWORD)""", line);
        Assert.DoesNotContain("secret", line);

        var embedded = ResumeLine.For("fm3", ClusterSpec.Parse("embedded:3"), "/var/ck", null);
        Assert.Equal("'trainer resume --job fm3 --cluster embedded:3 --checkpoint-dir /var/ck'", embedded);
        var read = Cli.Read(Words(embedded), _ => null);
        Assert.Equal(("fm3", "embedded:3", "/var/ck"), (read.String("--job"), read.String("--cluster"), read.String("--checkpoint-dir")));
    }

    [Fact]
    public void A_grains_short_command_becomes_the_trainers_whole_one()
    {
        var message = $"job fm3 was cancelled ('trainer cancel') at epoch 1, step 40; its checkpoint is kept: {ResumeHint.Of("fm3")} continues it";
        Assert.Equal("job fm3 was cancelled ('trainer cancel') at epoch 1, step 40; its checkpoint is kept: 'trainer resume --job fm3 --cluster localhost:30000' continues it",
            ResumeHint.Complete(message, "fm3", ResumeLine.For("fm3", ClusterSpec.Parse("localhost:30000"), null, null)));
    }

    /// <summary>The words of a printed line between its quotes, after 'trainer', as a shell splits them (double quotes keep spaces).</summary>
    public static string[] Words(string printed)
    {
        var start = printed.IndexOf("'trainer ", StringComparison.Ordinal) + "'trainer ".Length;
        var command = printed[start..printed.IndexOf('\'', start)];
        return System.Text.RegularExpressions.Regex.Matches(command, "\"((?:\\\\.|[^\"])*)\"|\\S+")
            .Select(m => m.Groups[1].Success ? System.Text.RegularExpressions.Regex.Unescape(m.Groups[1].Value) : m.Value).ToArray();
    }
}
