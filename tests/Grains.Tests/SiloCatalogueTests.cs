using System.Text.RegularExpressions;
using Trainer.Grains.Tests.Support;

namespace Trainer.Grains.Tests;

/// <summary>
/// docs/errors.md, "Refused by a silo": every row run as written. A silo setting's row starts the
/// silo and expects it to exit with the row's code and line; a job's row starts the silo, runs the
/// trainer command against it and expects the trainer to.
/// </summary>
public sealed class SiloCatalogueTests
{
    public sealed record Row(string Input, string Silo, string Command, int ExitCode, string Message)
    {
        public override string ToString() => Input;
    }

    /// <summary>The table's rows: | door | input | `silo options` | `command` | exit | `message` |.</summary>
    public static TheoryData<Row> Rows()
    {
        var rows = new TheoryData<Row>();
        foreach (var line in File.ReadAllLines(Path.Combine(DeployTests.Root, "docs/errors.md")))
        {
            var cells = Regex.Split(line.Trim(), @"(?<!\\)\|").Select(c => c.Trim()).ToArray();
            if (cells.Length != 8 || !int.TryParse(cells[5], out var code)) continue;
            rows.Add(new Row(cells[2], cells[3].Trim('`'), cells[4].Trim('`'), code, cells[6].Trim('`')));
        }
        return rows;
    }

    [Fact]
    public void The_table_has_rows() => Assert.True(Rows().Count >= 6);

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Each_row_exits_with_its_code_and_its_one_line(Row row)
    {
        var dir = Directory.CreateTempSubdirectory("trainer-silo-catalogue-").FullName;
        try
        {
            var ports = ChildProcess.FreePorts(2);
            var (certs, other) = (Path.Combine(dir, "certs"), Path.Combine(dir, "other"));
            if ($"{row.Silo} {row.Command}".Contains("{certs}")) // two CAs of deploy/make-certs.sh: the cluster's, and another
                foreach (var folder in new[] { certs, other }) DeployTests.Run("bash", "deploy/make-certs.sh", folder);
            string Fill(string text) => text.Replace("{dir}", dir).Replace("{gateway}", $"{ports[1]}").Replace("{certs}", certs).Replace("{other}", other);
            var silo = Fill(row.Silo).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (row.Command.Length == 0)
            {
                var (code, output) = await ChildProcess.RunSilo(new Dictionary<string, string>(), TimeSpan.FromSeconds(60), silo);
                Assert.True(code == row.ExitCode, $"{row}: silo exit {code}: {output}");
                Assert.StartsWith(Fill(row.Message), Assert.Single(Lines(output)));
                return;
            }
            await using var process = await ChildProcess.StartSilo(["--cluster", "localhost", "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}", .. silo]);
            var errors = new StringWriter();
            var outDir = Path.Combine(dir, "out");
            var trainer = await Client.Cli.RunAsync([.. Fill(row.Command).Split(' ', StringSplitOptions.RemoveEmptyEntries), "--out", outDir], new StringWriter(), errors);
            Assert.True(trainer == row.ExitCode, $"{row}: trainer exit {trainer}: {errors}");
            Assert.StartsWith(Fill(row.Message), Assert.Single(Lines(errors.ToString())));
            Assert.DoesNotContain("   at ", errors.ToString());
            Assert.False(Path.Exists(outDir));
            Assert.False(process.HasExited);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
