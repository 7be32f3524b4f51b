using Trainer.Core.Training;
using Trainer.Grains.Dashboard;

namespace Trainer.Client.Output;

/// <summary>--dashboard: the console's progress, and the same events on the dashboard's board.</summary>
public sealed class DashboardProgress(ITrainingObserver console, JobBoard board, string job) : ITrainingObserver
{
    public void Placed(string model, string mode, int epochs, string parameterServer, IReadOnlyList<string> workerSilos) =>
        board.Placed(job, model, mode, epochs, parameterServer, workerSilos, []);

    public void StepCompleted(int epoch, int step, int steps, double loss)
    {
        console.StepCompleted(epoch, step, steps, loss);
        board.Step(job, epoch, step, steps, loss);
    }

    public void EpochCompleted(EpochReport report, int epochs, EpochVerdict? verdict)
    {
        console.EpochCompleted(report, epochs, verdict);
        board.Epoch(job, report, epochs);
    }

    public void Note(string note) => console.Note(note);
}
