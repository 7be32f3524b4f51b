using Microsoft.Extensions.Options;

namespace Trainer.Silo;

/// <summary>Refuses bad silo settings when the host starts (ValidateOnStart), with the message that names the option.</summary>
public sealed class SiloSettingsValidator(Func<string, string?> environment) : IValidateOptions<SiloSettings>
{
    public ValidateOptionsResult Validate(string? name, SiloSettings settings)
    {
        try
        {
            SiloOptions.From(settings, environment);
            return ValidateOptionsResult.Success;
        }
        catch (SiloOptionsException e)
        {
            return ValidateOptionsResult.Fail(e.Message);
        }
    }
}
