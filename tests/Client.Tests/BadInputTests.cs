using System.Buffers.Binary;

namespace Trainer.Client.Tests;

/// <summary>
/// Every kind of bad input the issue lists: exit code 2, exactly one line on stderr that names the
/// file, line or option, no stack trace, and nothing written to --out.
/// </summary>
public sealed class BadInputTests
{
    public static TheoryData<string, string[], string> Cases() => new()
    {
        { "missing file", ["--data", "{dir}/absent.csv"], "error: {dir}/absent.csv: no such file" },
        { "empty file", ["--data", "{dir}/empty.csv"], "error: {dir}/empty.csv: the file is empty" },
        { "wrong IDX magic", ["--data", "{dir}/badmagic"], "error: {dir}/badmagic/train-images-idx3-ubyte: wrong IDX magic number 0x00000903" },
        { "truncated IDX", ["--data", "{dir}/truncated"], "error: {dir}/truncated/train-images-idx3-ubyte: truncated: the header promises 16 bytes of data, the file has 10" },
        { "image/label count mismatch", ["--data", "{dir}/mismatch"], "error: {dir}/mismatch/train-images-idx3-ubyte has 4 images but {dir}/mismatch/train-labels-idx1-ubyte has 3 labels" },
        { "ragged CSV row", ["--data", "{dir}/ragged.csv"], "error: {dir}/ragged.csv, line 3: expected 3 columns, found 4" },
        { "non-numeric cell", ["--data", "{dir}/text.csv"], "error: {dir}/text.csv, line 2, column 1 ('a'): 'abc' is not a number" },
        { "NaN in data", ["--data", "{dir}/nan.csv"], "error: {dir}/nan.csv, line 3, column 2 ('b'): nan is not a finite value" },
        { "label out of range", ["--data", "{dir}/labels.csv", "--model", "logreg"], "error: {dir}/labels.csv, line 4: label 3 is out of range: expected 0/1 (or −1/+1) for logreg" },
        { "bad LibSVM index", ["--data", "{dir}/zero.svm"], "error: {dir}/zero.svm, line 2: feature index 0 is out of range: LibSVM indices start at 1" },
        { "unknown model", ["--model", "resnet"], "error: --model 'resnet' is not one of linreg, logreg, softmax, perceptron, svm, mlp" },
        { "lr zero", ["--lr", "0"], "error: --lr 0: must be greater than 0" },
        { "lr negative", ["--lr", "-0.1"], "error: --lr -0.1: must be greater than 0" },
        { "batch zero", ["--batch", "0"], "error: --batch 0: must be at least 1" },
        { "batch negative", ["--batch", "-5"], "error: --batch -5: must be at least 1" },
        { "batch not a number", ["--batch", "many"], "error: --batch 'many' is not a whole number" },
        { "unknown option", ["--learning-rate", "0.1"], "error: unknown option '--learning-rate' for 'trainer train' (see 'trainer train --help')" },
        { "missing value", ["--epochs"], "error: option --epochs needs a value (N)" },
        { "batch beyond data", ["--batch", "5000"], "error: --batch 5000 is larger than the training set (1293 rows); use --batch 1293 for full-batch gradient descent" },
        { "partitions beyond batch", ["--batch", "4", "--partitions", "8"], "error: --partitions 8 is larger than --batch 4: every partition needs at least one row per step" },
        { "hidden for a linear model", ["--model", "softmax", "--hidden", "32"], "error: --hidden and --activation shape an MLP; --model softmax has no hidden layers" },
        { "unknown cluster", ["--cluster", "mars"], "error: --cluster 'mars' is not one of local, embedded[:N], localhost:PORT[,PORT...], redis://HOST:PORT" },
        { "too many embedded silos", ["--cluster", "embedded:40"], "error: --cluster 'embedded:40': embedded:N needs N between 1 and 16 silos" },
        { "workers beyond partitions", ["--workers", "9"], "error: --workers 9: must be at most 8" },
        { "workers on the local trainer", ["--cluster", "local", "--workers", "2"], "error: --workers, --mode, --checkpoint-every and --step-timeout need a cluster: --cluster local is the single-process trainer" },
        { "negative checkpoint interval", ["--checkpoint-every", "-1"], "error: --checkpoint-every -1: must be at least 0" },
        { "zero step timeout", ["--step-timeout", "0"], "error: --step-timeout 0: must be greater than 0" },
        { "staleness without ssp", ["--mode", "async", "--staleness", "3"], "error: --staleness bounds --mode ssp; this job's mode is async" },
        { "unknown optimizer", ["--optimizer", "adam"], "error: --optimizer 'adam' is not one of sgd, lars" },
        { "trust coefficient without lars", ["--trust-coefficient", "0.01"], "error: --trust-coefficient is LARS's; this job's optimizer is sgd (add --optimizer lars)" },
        { "base batch without scaling", ["--base-batch", "128"], "error: --base-batch is the batch --lr is given for under --lr-scaling linear|sqrt; this job does not scale it" },
        { "unknown scaling rule", ["--lr-scaling", "cubic"], "error: --lr-scaling 'cubic' is not one of none, linear, sqrt" },
        { "shards without a cluster", ["--cluster", "local", "--ps-shards", "2"], "error: --ps-shards splits a cluster's parameter server: --cluster local has none" },
        { "shards in async mode", ["--mode", "async", "--ps-shards", "2"], "error: --ps-shards 2 works with --mode sync; this job's mode is async" },
        { "more shards than ranges", ["--ps-shards", "20"], "error: --ps-shards 20: this model's 19,210 parameters make 19 ranges of 1024 at most; use --ps-shards 19 or fewer" },
        { "target without validation", ["--target", "0.9", "--val-fraction", "0"], "error: --target is a validation accuracy: it needs --val-fraction above 0" },
        { "target above one", ["--target", "1.5"], "error: --target 1.5: must be at most 1" },
        { "past target without target", ["--past-target"], "error: --past-target goes with --target: there is no target to train past" },
        { "checkpoint folder for silo processes", ["--cluster", "localhost:30000", "--checkpoint-dir", "/tmp/x"], "error: --checkpoint-dir applies to embedded clusters; with --cluster localhost:30000 give it to the silos ('Trainer.Silo --checkpoint-dir')" },
        { "unknown mode", ["--mode", "hogwild"], "error: --mode 'hogwild' is not one of sync, async, ssp" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_input_exits_2_with_one_line_naming_it(string what, string[] args, string message)
    {
        using var dir = MakeBadFiles();
        var outDir = dir.Combine("out");
        var outcome = await CliRunner.Run(["train", .. args.Select(a => a.Replace("{dir}", dir.Path)), "--out", outDir]);

        Assert.True(outcome.ExitCode == 2, $"{what}: exit code {outcome.ExitCode}, stderr: {outcome.Errors}");
        var line = Assert.Single(outcome.ErrorLines);
        Assert.StartsWith(message.Replace("{dir}", dir.Path), line);
        Assert.DoesNotContain("   at ", outcome.Errors);
        Assert.False(Directory.Exists(outDir), $"{what}: {outDir} was created");
    }

    public static TheoryData<string, string[], string> ResumeCases() => new()
    {
        { "no job", [], "error: 'trainer resume' needs --job" },
        { "local cluster", ["--job", "x", "--cluster", "local"], "error: --cluster local keeps no checkpoints: resume a job on the cluster it ran on" },
        { "unknown job", ["--job", "never-started", "--checkpoint-dir", "{dir}/checkpoints"], "error: --job never-started: no checkpoint of this job (never started, or already finished)" },
    };

    [Theory]
    [MemberData(nameof(ResumeCases))]
    public async Task Bad_resume_exits_2_with_one_line(string what, string[] args, string message)
    {
        using var dir = new TempFolder();
        var outcome = await CliRunner.Run(["resume", .. args.Select(a => a.Replace("{dir}", dir.Path)), "--out", dir.Combine("out")]);
        Assert.True(outcome.ExitCode == 2, $"{what}: exit code {outcome.ExitCode}, stderr: {outcome.Errors}");
        Assert.Equal(message, Assert.Single(outcome.ErrorLines));
        Assert.False(Directory.Exists(dir.Combine("out")));
    }

    private static TempFolder MakeBadFiles()
    {
        var dir = new TempFolder();
        dir.File("empty.csv", "");
        dir.File("ragged.csv", "a,b,y\n1,2,0\n1,2,3,0\n");
        dir.File("text.csv", "a,b,y\nabc,2,0\n");
        dir.File("nan.csv", "a,b,y\n1,2,0\n1,nan,1\n");
        dir.File("labels.csv", "a,b,y\n1,2,0\n1,2,1\n1,2,3\n");
        dir.File("zero.svm", "1 1:0.5\n0 0:1\n");
        Idx(dir, "badmagic", Images(4, magic: 0x903), Labels(4));
        Idx(dir, "truncated", Images(4)[..26], Labels(4));
        Idx(dir, "mismatch", Images(4), Labels(3));
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
