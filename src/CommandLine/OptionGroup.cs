namespace Trainer.CommandLine;

/// <summary>A topic of a command's options (model, data, cluster, …): help lists each option under its group's heading.</summary>
public sealed record OptionGroup(string Heading)
{
    /// <summary>The options given, each declaring this group; a command's list is written group by group so.</summary>
    public IEnumerable<OptionInfo> Of(params IEnumerable<OptionInfo> options) => options.Select(o => o with { Group = this });
}
