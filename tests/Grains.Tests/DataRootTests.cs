using System.Text;
using Trainer.Grains.Tests.Support;

namespace Trainer.Grains.Tests;

/// <summary>
/// A silo process given one --data-root: a trainer that names /etc/passwd, a CSV outside the root,
/// one reached from the root through '..' and one through a symbolic link is refused in one line
/// naming the root and holding none of the file's bytes; a CSV inside the root trains.
/// </summary>
public sealed class DataRootTests
{
    private const string Secret = "secret-token-xyz";

    /// <summary>A small CSV that trains (two features, the label their sign), optionally with a cell that is no number.</summary>
    private static string Csv(string? secretCell = null)
    {
        var text = new StringBuilder("a,b,label\n");
        for (var i = 0; i < 60; i++)
        {
            var (a, b) = (Math.Sin(i), Math.Cos(3 * i));
            text.Append(i == 2 && secretCell is not null ? secretCell : $"{a:F3}").Append($",{b:F3},{(a + b > 0 ? 1 : 0)}\n");
        }
        return text.ToString();
    }

    [Fact]
    public void A_path_may_wander_inside_a_root_but_no_file_of_an_IDX_folder_may_lead_out()
    {
        var work = Directory.CreateTempSubdirectory("trainer-roots-unit-").FullName;
        try
        {
            var root = Directory.CreateDirectory(Path.Combine(work, "root")).FullName;
            Directory.CreateDirectory(Path.Combine(root, "sub"));
            File.WriteAllText(Path.Combine(root, "inside.csv"), Csv());
            File.WriteAllText(Path.Combine(work, "secret"), Secret);
            var idx = Directory.CreateDirectory(Path.Combine(root, "idx")).FullName;
            File.CreateSymbolicLink(Path.Combine(idx, "train-images-idx3-ubyte"), Path.Combine(work, "secret"));
            var roots = Admission.DataRoots.Only([root]);

            roots.Check(Path.Combine(root, "sub", "..", "inside.csv"), "--data"); // '..' that stays inside
            roots.Check(Path.Combine(root, "absent.csv"), "--data"); // inside: the loader says there is no such file
            roots.Check("digits", "--data");
            var refused = Assert.Throws<Core.UserInputException>(() => roots.Check(idx, "--data"));
            Assert.StartsWith($"--data {idx}: outside this silo's data roots", refused.Message);
            Assert.Throws<Core.UserInputException>(() => roots.Check(Path.Combine(root, "..", "secret"), "--test"));
            Admission.DataRoots.Anywhere.Check("/etc/passwd", "--data"); // the trainer's own machine: embedded clusters and --cluster local
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task Paths_outside_the_data_roots_are_refused_without_their_content_and_a_file_inside_trains()
    {
        var work = Directory.CreateTempSubdirectory("trainer-roots-").FullName;
        try
        {
            var root = Directory.CreateDirectory(Path.Combine(work, "root")).FullName;
            var outside = Directory.CreateDirectory(Path.Combine(work, "outside")).FullName;
            File.WriteAllText(Path.Combine(root, "inside.csv"), Csv());
            var secret = Path.Combine(outside, "secret.csv");
            File.WriteAllText(secret, Csv(Secret)); // read, it would fail on the cell and echo it
            File.CreateSymbolicLink(Path.Combine(root, "link.csv"), secret);

            var ports = ChildProcess.FreePorts(2);
            await using var silo = await ChildProcess.StartSilo("--cluster", "localhost", "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}", "--data-root", root);
            var cluster = $"localhost:{ports[1]}";

            var passwd = File.ReadAllLines("/etc/passwd");
            foreach (var path in new[] { "/etc/passwd", secret, Path.Combine(root, "..", "outside", "secret.csv"), Path.Combine(root, "link.csv") })
            {
                var errors = new StringWriter();
                var code = await Client.Cli.RunAsync(["train", "--cluster", cluster, "--data", path, "--model", "logreg", "--epochs", "1", "--out", Path.Combine(work, "refused")],
                    new StringWriter(), errors);
                Assert.Equal(2, code);
                var line = Assert.Single(errors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
                Assert.StartsWith($"error: --data {path}: outside this silo's data roots", line);
                Assert.EndsWith($"and files under {root}", line);
                Assert.DoesNotContain(Secret, line);
                Assert.DoesNotContain("1,0.9", line); // no row of the CSV either
                Assert.All(passwd, l => Assert.DoesNotContain(l, line));
            }
            Assert.False(Directory.Exists(Path.Combine(work, "refused")));

            var output = new StringWriter();
            var trained = new StringWriter();
            Assert.True(0 == await Client.Cli.RunAsync(["train", "--cluster", cluster, "--data", Path.Combine(root, "inside.csv"), "--model", "logreg", "--epochs", "2", "--batch", "16",
                "--val-fraction", "0", "--out", Path.Combine(work, "inside")], output, trained), $"{trained}\n{output}");
            Assert.True(File.Exists(Path.Combine(work, "inside", "report.json")));
            Assert.False(silo.HasExited);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
