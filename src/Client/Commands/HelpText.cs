namespace Trainer.Client.Commands;

/// <summary>What 'trainer --help' says above the library's list of commands and options.</summary>
public static class HelpText
{
    public const string Overview = """
        trainer: data-parallel SGD on Microsoft Orleans for the classic models, by --model: linreg
        (linear regression), logreg (logistic regression), softmax (softmax regression), perceptron,
        svm (linear SVM), mlp (multilayer perceptrons with dropout), lenet (d2l's LeNet-5) and cnn
        (convolutional networks of your layers).

        'trainer <command> --help' lists a command's options with their defaults ('trainer train --help'
        by topic). Arguments may also come from a response file ('trainer train @experiment.rsp'), and
        every option from an environment variable TRAINER_<OPTION> (TRAINER_LR, TRAINER_LABEL_COLUMN):
        the command line wins.
        Every run writes its folder under runs/ (report.json, model.json, curves.png; progress.json while it
        trains): 'trainer dashboard' shows them all side by side in a browser, live ones as they go.
        Exit codes: 0 done, 1 internal fault, 2 user error, 3 training diverged, 4 cluster unreachable, 130 cancelled.
        """;
}
