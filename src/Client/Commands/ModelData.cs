using Trainer.Client.CommandLine;
using Trainer.Core.Data;
using Trainer.Core.Models;

namespace Trainer.Client.Commands;

/// <summary>
/// The data a saved model is scored on (evaluate, predict), preprocessed as in training: by default
/// the test set it was trained with (its --test file, or the test part of its own data). Every file
/// is read as the training data was: its --ignore-columns left out, its missing cells treated by
/// its --missing (under mean, filled with the training file's means).
/// </summary>
internal static class ModelData
{
    public static Dataset Read(ModelFile model, ParsedArguments args)
    {
        var (spec, origin) = (model.Spec, model.Origin);
        var data = args.String("--data") ?? origin.Test ?? origin.Data;
        var sameData = data == origin.Data || data == origin.Test;
        var rule = spec.IsRegression ? LabelRule.Regression : new LabelRule(true, spec.Classes, spec.Kind);
        var dataset = DataLoader.ReadForEvaluation(data, rule, args.String("--label-column") ?? (sameData ? origin.LabelColumn : null),
            spec.Features, origin.Seed, data == origin.Data ? origin.TestFraction : 0, args.String("--delimiter") ?? (sameData ? origin.Delimiter : null), model.ClassNames,
            new MissingValues(origin.Missing, origin.MissingMeans, ForModel: true), DataSpec.ColumnList(origin.IgnoreColumns));
        model.Preprocessor.Apply(dataset);
        return dataset;
    }
}
