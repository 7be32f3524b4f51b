namespace Trainer.CommandLine;

/// <summary>One option a command accepts: a flag, or an option with a value, and what it means.</summary>
public sealed record OptionInfo(string Name, string Help, string? Value = null)
{
    public bool IsFlag => Value is null;

    /// <summary>The values tab completion offers (the option's fixed choices); empty when any value goes.</summary>
    public IReadOnlyList<string> Choices { get; init; } = [];

    /// <summary>May be given more than once; the values are joined with the path separator (':'), as a variable or file gives a list.</summary>
    public bool Repeatable { get; init; }

    /// <summary>The topic help lists the option under; a command whose options all have one gets grouped help (<see cref="GroupedHelpAction"/>).</summary>
    public OptionGroup? Group { get; init; }
}
