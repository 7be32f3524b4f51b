using System.Text;
using Trainer.Client.CommandLine;

namespace Trainer.Client.Commands;

/// <summary>The text of --help.</summary>
public static class HelpText
{
    public const string Overview = """
        trainer: data-parallel SGD for the classic models (linear, logistic and softmax regression,
        perceptron, linear SVM, MLP).

        usage: trainer <command> [options]

        commands:
          train      train a model; writes report.json, model.json and curves.png to --out
          resume     continue a job on a cluster from its last checkpoint
          status     the jobs of a cluster: state, epoch, step, best validation, where they run
          cancel     stop a running job (its checkpoint stays for resume)
          evaluate   metrics of a saved model on a data set
          predict    a saved model's predictions as CSV
          export     a saved model as ONNX
          scale      a sweep over batch, workers, lr scaling, optimizer and warm-up to a --target
          bench      benchmarks: 'trainer bench kernel|transport|train'

        'trainer <command> --help' lists a command's options.
        Exit codes: 0 done, 1 internal fault, 2 user error, 3 training diverged, 4 cluster unreachable, 130 cancelled.

        """;

    public static string For(string command, IReadOnlyList<OptionInfo> options)
    {
        var text = new StringBuilder($"usage: trainer {command} [options]\n\noptions:\n");
        foreach (var option in options)
        {
            var left = option.IsFlag ? option.Name : $"{option.Name} {option.Value}";
            text.Append($"  {left,-28}{option.Help}\n");
        }
        return text.ToString();
    }
}
