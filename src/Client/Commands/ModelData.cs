using Trainer.Client.CommandLine;
using Trainer.Core.Data;
using Trainer.Core.Models;

namespace Trainer.Client.Commands;

/// <summary>The data a saved model is scored on (evaluate, predict): by default the test part of its own data, preprocessed as in training.</summary>
internal static class ModelData
{
    public static Dataset Read(ModelFile model, ParsedArguments args)
    {
        var (spec, origin) = (model.Spec, model.Origin);
        var data = args.String("--data", origin.Data);
        var sameData = data == origin.Data;
        var rule = spec.IsRegression ? LabelRule.Regression : new LabelRule(true, spec.Classes, spec.Kind);
        var dataset = DataLoader.ReadForEvaluation(data, rule, args.String("--label-column") ?? (sameData ? origin.LabelColumn : null),
            spec.Features, origin.Seed, sameData ? origin.TestFraction : 0);
        model.Preprocessor.Apply(dataset);
        return dataset;
    }
}
