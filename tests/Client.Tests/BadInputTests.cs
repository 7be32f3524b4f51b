using System.Buffers.Binary;
using System.Text.RegularExpressions;

namespace Trainer.Client.Tests;

/// <summary>
/// The bad-input catalogue, docs/errors.md: every row of its table is run as written, and must exit
/// with its code, print exactly its one line on stderr (no stack trace), and leave nothing in --out.
/// </summary>
public sealed class BadInputTests(BadInputTests.BadFiles files) : IClassFixture<BadInputTests.BadFiles>
{
    public sealed record Row(string Door, string Input, string Command, int ExitCode, string Message)
    {
        public override string ToString() => $"{Door}: {Input}";
    }

    /// <summary>The catalogue's rows: | door | input | `command` | exit | `message` |, with \| for a pipe inside a cell.</summary>
    public static IReadOnlyList<Row> Catalogue()
    {
        var rows = new List<Row>();
        foreach (var line in File.ReadAllLines(Repository.File("docs/errors.md")))
        {
            var cells = Regex.Split(line.Trim(), @"(?<!\\)\|").Select(c => c.Trim().Replace("\\|", "|")).ToArray();
            if (cells.Length != 7 || !cells[3].StartsWith('`') || !int.TryParse(cells[4], out var code)) continue;
            rows.Add(new Row(cells[1], cells[2], cells[3].Trim('`'), code, cells[5].Trim('`')));
        }
        return rows;
    }

    public static TheoryData<Row> Rows() => new(Catalogue());

    [Fact]
    public void The_catalogue_covers_every_door_the_issue_names()
    {
        var rows = Catalogue();
        Assert.True(rows.Count >= 50, $"{rows.Count} rows");
        foreach (var door in new[] { "data file", "option", "config file", "model file", "cluster" })
            Assert.Contains(rows, r => r.Door == door);
        Assert.All(rows, r => Assert.Contains(r.ExitCode, new[] { 2, 4 }));
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Each_row_of_the_catalogue_exits_with_its_code_and_its_one_line(Row row)
    {
        var words = row.Command.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(files.Fill).ToList();
        var environment = words.TakeWhile(w => Regex.IsMatch(w, "^[A-Z_]+=")).ToDictionary(w => w[..w.IndexOf('=')], w => w[(w.IndexOf('=') + 1)..]);
        var args = words.Skip(environment.Count).ToList();
        var outDir = Path.Combine(files.Path, "out-" + Guid.NewGuid().ToString("N")[..6]);
        if (args[0] is "train" or "resume" or "scale" or "evaluate" or "predict" or "export" && !args.Contains("--out")) args.AddRange(["--out", outDir]);

        var outcome = await CliRunner.Run(environment, [.. args]);

        Assert.True(outcome.ExitCode == row.ExitCode, $"{row}: exit code {outcome.ExitCode}, stderr: {outcome.Errors}");
        var line = Assert.Single(outcome.ErrorLines);
        Assert.StartsWith(files.Fill(row.Message), line);
        Assert.DoesNotContain("   at ", outcome.Errors);
        Assert.False(Path.Exists(outDir), $"{row}: {outDir} was written");
    }

    /// <summary>The bad files of the catalogue, made once; and the placeholders' values.</summary>
    public sealed class BadFiles : IDisposable
    {
        private readonly TempFolder _dir = MakeBadFiles();
        private readonly int _port = FreePort(), _redis = FreePort();
        private readonly System.Net.Sockets.TcpListener _taken = Listen();

        public string Path => _dir.Path;

        public string Fill(string text) => text.Replace("{dir}", _dir.Path).Replace("{port}", $"{_port}").Replace("{redis}", $"{_redis}")
            .Replace("{taken}", $"{((System.Net.IPEndPoint)_taken.LocalEndpoint).Port}");

        public void Dispose()
        {
            _taken.Dispose();
            _dir.Dispose();
        }

        /// <summary>A loopback port held for the catalogue's lifetime: one a server cannot have.</summary>
        private static System.Net.Sockets.TcpListener Listen()
        {
            var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            listener.Start();
            return listener;
        }

        private static int FreePort()
        {
            using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            listener.Start();
            return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        }
    }

    private static TempFolder MakeBadFiles()
    {
        var dir = new TempFolder();
        dir.File("empty.csv", "");
        dir.File("ragged.csv", "a,b,y\n1,2,0\n1,2,3,0\n");
        dir.File("text.csv", "a,b,y\nabc,2,0\n");
        dir.File("na.csv", "a,b,y\n1,2,0\n1,NA,1\n");
        dir.File("na-all.csv", "a,b,y\n1,NA,0\n");
        dir.File("nan.csv", "a,b,y\n1,2,0\n1,nan,1\n");
        dir.File("labels.csv", "a,b,y\n1,2,0\n1,2,1\n1,2,3\n");
        dir.File("zero.svm", "1 1:0.5\n0 0:1\n");
        Idx(dir, "badmagic", Images(4, magic: 0x903), Labels(4));
        Idx(dir, "truncated", Images(4)[..26], Labels(4));
        Idx(dir, "mismatch", Images(4), Labels(3));
        dir.File("inf.csv", "a,b,y\n1,2,0\n1,inf,1\n");
        dir.File("wide.svm", "1 1:0.5 3:1\n0 5:1\n");
        dir.File("two-features.csv", "a,b,y\n1,2,0\n3,4,1\n");
        dir.File("names.csv", "x,z,y\n" + string.Concat(Enumerable.Repeat("1,2,a\n3,4,b\n", 10)));
        dir.File("unknown-name.csv", "x,z,y\n1,2,a\n3,4,c\n");
        dir.File("quote.csv", "a,b,y\n\"1,2,0\n");
        dir.File("semicolon.csv", "a;b;y\n1;2;0\n");
        dir.File("corrupt.json", "{not json");
        dir.File("typo.json", """{ "hiden": [8] }""");
        dir.File("zero-lr.json", """{ "lr": 0 }""");
        dir.File("ca.pem", "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");

        var trained = Cli.RunAsync(["train", "--model", "logreg", "--data", "breast-cancer", "--cluster", "local", "--epochs", "1", "--out", dir.Combine("trained")],
            TextWriter.Null, TextWriter.Null).GetAwaiter().GetResult();
        if (trained != 0) throw new InvalidOperationException("the catalogue's model could not be trained");
        var model = File.ReadAllText(dir.Combine("trained/model.json"));
        dir.File("model.json", model);
        dir.File("v2.json", model.Replace("\"version\": 1", "\"version\": 2"));
        dir.File("damaged.json", Regex.Replace(model, "\"weightsSha256\": \"[0-9a-f]+\"", "\"weightsSha256\": \"" + new string('0', 64) + "\""));
        Directory.Delete(dir.Combine("trained"), true);
        return dir;
    }

    private static void Idx(TempFolder dir, string name, byte[] images, byte[] labels)
    {
        Directory.CreateDirectory(dir.Combine(name));
        dir.File($"{name}/train-images-idx3-ubyte", images);
        dir.File($"{name}/train-labels-idx1-ubyte", labels);
    }

    private static byte[] Images(int count, uint magic = 0x803)
    {
        var bytes = new byte[16 + count * 4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, magic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), 2);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), 2);
        return bytes;
    }

    private static byte[] Labels(int count)
    {
        var bytes = new byte[8 + count];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, 0x801);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        return bytes;
    }
}
