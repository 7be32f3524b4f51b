using System.Text;

namespace Trainer.Core.Data;

/// <summary>
/// The records of a delimited text file as RFC 4180 defines them: fields split by the delimiter; a
/// field in double quotes may hold the delimiter, line breaks and doubled quotes (""); records end
/// at LF or CRLF outside quotes. Each record comes with the line it starts on, for error messages.
/// Blank lines are skipped; surrounding spaces of unquoted fields are trimmed.
/// </summary>
public static class CsvRecords
{
    public static IEnumerable<(int Line, string[] Fields)> Read(TextReader reader, char delimiter, string file)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var start = 1;
        var quoted = false;     // inside a quoted field
        var wasQuoted = false;  // the current field was quoted (its spaces are kept)
        var blank = true;       // nothing but whitespace in this record so far

        string Take()
        {
            var text = wasQuoted ? field.ToString() : field.ToString().Trim();
            field.Clear();
            wasQuoted = false;
            return text;
        }

        int c;
        while ((c = reader.Read()) >= 0)
        {
            var ch = (char)c;
            if (quoted)
            {
                if (ch == '"')
                {
                    if (reader.Peek() == '"') { reader.Read(); field.Append('"'); }
                    else quoted = false;
                }
                else
                {
                    if (ch == '\n') line++;
                    field.Append(ch);
                }
                continue;
            }
            if (ch == '"' && field.ToString().Trim().Length == 0)
            {
                field.Clear();
                quoted = wasQuoted = true;
                blank = false;
            }
            else if (ch == delimiter)
            {
                fields.Add(Take());
                blank = false;
            }
            else if (ch == '\n' || ch == '\r')
            {
                if (ch == '\r' && reader.Peek() == '\n') reader.Read();
                if (!blank || field.ToString().Trim().Length > 0)
                {
                    fields.Add(Take());
                    yield return (start, fields.ToArray());
                }
                fields.Clear();
                field.Clear();
                blank = true;
                line++;
                start = line;
            }
            else
            {
                if (wasQuoted && !char.IsWhiteSpace(ch))
                    throw new UserInputException($"{file}, line {line}: text after a closing quote; a quote inside a quoted field is written as two quotes (\"\")");
                if (!wasQuoted) field.Append(ch);
                if (!char.IsWhiteSpace(ch)) blank = false;
            }
        }
        if (quoted) throw new UserInputException($"{file}, line {start}: a quoted field is never closed");
        if (!blank || field.ToString().Trim().Length > 0)
        {
            fields.Add(Take());
            yield return (start, fields.ToArray());
        }
    }

    /// <summary>The delimiter a --delimiter value names: one character, or tab/\t; a .tsv file defaults to tab.</summary>
    public static char Delimiter(string? option, string path)
    {
        if (option is null)
        {
            var lower = path.ToLowerInvariant();
            return lower.EndsWith(".tsv") || lower.EndsWith(".tsv.gz") ? '\t' : ',';
        }
        return option switch
        {
            "tab" or "\\t" or "\t" => '\t',
            { Length: 1 } when option[0] is not ('"' or '\n' or '\r') && !char.IsLetterOrDigit(option[0]) && option[0] != '.' && option[0] != '-' => option[0],
            _ => throw new UserInputException($"--delimiter '{option}': expected one character such as , ; | or the word tab"),
        };
    }
}
