using Trainer.Client.Commands.Train;
using Trainer.Core.Data;
using Trainer.Core.Models;
using Trainer.Core.Training;

namespace Trainer.Client.Output;

/// <summary>The results of a finished run: report.json, model.json and curves.png, the results table and the closing line.</summary>
public static class RunResults
{
    public static void Write(string outDir, string job, DataSpec spec, TrainOptions options, JobRun run, DateTime started, TextWriter output)
    {
        var modelFile = new ModelFile(run.Result.Network.Spec, run.Preprocessor, new DataOrigin(spec.Data, spec.LabelColumn, spec.Seed, run.TestFraction, spec.Delimiter, spec.Test,
                spec.Missing, run.MissingMeans, spec.IgnoreColumns),
            run.Result.Weights, run.ClassNames);
        var report = RunReport.From(job, spec, options, run, (DateTime.UtcNow - started).TotalSeconds, modelFile.ClassLabels);
        new RunOutput(outDir)
            .Add("model.json", modelFile.ToBytes())
            .Add("curves.png", CurvesPlot.Render(report))
            .Add("report.json", report.ToJson())
            .Commit();
        output.Write(ResultsTable.Render(report));
        output.WriteLine(Summary(run.Result, outDir));
    }

    private static string Summary(TrainingResult result, string outDir)
    {
        var test = result.Test is null ? "no test set" : $"test {result.Test}";
        var target = result.TargetEpoch is { } reached ? $", target reached at epoch {reached}" : "";
        return $"done: best epoch {result.BestEpoch}{(result.StoppedEarly ? " (stopped early)" : "")}{target}, {test}, " +
               $"{result.SamplesPerSecond:N0} samples/s; wrote {outDir}/report.json, model.json, curves.png";
    }
}
