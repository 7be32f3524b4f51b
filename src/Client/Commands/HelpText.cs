namespace Trainer.Client.Commands;

/// <summary>What 'trainer --help' says above the library's list of commands and options.</summary>
public static class HelpText
{
    public const string Overview = """
        trainer: data-parallel SGD for the classic models (linear, logistic and softmax regression,
        perceptron, linear SVM, MLP) on Microsoft Orleans.

        'trainer <command> --help' lists a command's options with their defaults. Arguments may
        also come from a response file ('trainer train @experiment.rsp'), and every option from an
        environment variable TRAINER_<OPTION> (TRAINER_LR, TRAINER_LABEL_COLUMN): the command line wins.
        Exit codes: 0 done, 1 internal fault, 2 user error, 3 training diverged, 4 cluster unreachable, 130 cancelled.
        """;
}
