using Trainer.Core.Data;

namespace Trainer.Core.Tests.Data;

/// <summary>RFC 4180 records: quotes, doubled quotes, delimiters and line breaks inside quotes, CRLF, blank lines.</summary>
public sealed class CsvRecordsTests
{
    private static (int Line, string[] Fields)[] Records(string text, char delimiter = ',') =>
        CsvRecords.Read(new StringReader(text), delimiter, "f.csv").ToArray();

    [Fact]
    public void Quoted_fields_keep_delimiters_doubled_quotes_and_line_breaks()
    {
        var records = Records("name,note\r\n\"Smith, J.\",\"said \"\"hi\"\"\"\n\"two\nlines\", x \n");
        Assert.Equal(3, records.Length);
        Assert.Equal(["name", "note"], records[0].Fields);
        Assert.Equal(["Smith, J.", "said \"hi\""], records[1].Fields);
        Assert.Equal(["two\nlines", "x"], records[2].Fields);
        Assert.Equal([1, 2, 3], records.Select(r => r.Line));
    }

    [Fact]
    public void Blank_lines_are_skipped_and_lines_are_counted_past_them_and_past_quoted_breaks()
    {
        var records = Records("a,b\n\n\"x\ny\",1\n   \n2,3");
        Assert.Equal([1, 3, 6], records.Select(r => r.Line));
        Assert.Equal(["2", "3"], records[2].Fields);
    }

    [Fact]
    public void Empty_fields_are_kept_and_a_quoted_field_keeps_its_spaces()
    {
        Assert.Equal(["", " a ", ""], Records(",\" a \",\n")[0].Fields);
    }

    [Theory]
    [InlineData(';', "a;b\n1;2\n")]
    [InlineData('\t', "a\tb\n1\t2\n")]
    public void Other_delimiters_split_their_fields(char delimiter, string text)
    {
        Assert.Equal(["1", "2"], Records(text, delimiter)[1].Fields);
    }

    [Theory]
    [InlineData("a,b\n\"open,1\n", "f.csv, line 2: a quoted field is never closed")]
    [InlineData("a,b\n\"x\"y,1\n", "f.csv, line 2: text after a closing quote")]
    public void Broken_quoting_names_the_line(string text, string message)
    {
        var error = Assert.Throws<UserInputException>(() => Records(text));
        Assert.StartsWith(message, error.Message);
    }

    [Theory]
    [InlineData(null, "x.csv", ',')]
    [InlineData(null, "x.tsv", '\t')]
    [InlineData(null, "x.TSV.gz", '\t')]
    [InlineData(";", "x.csv", ';')]
    [InlineData("tab", "x.csv", '\t')]
    [InlineData("\\t", "x.csv", '\t')]
    [InlineData("|", "x.txt", '|')]
    public void The_delimiter_comes_from_the_option_or_the_extension(string? option, string path, char expected)
    {
        Assert.Equal(expected, CsvRecords.Delimiter(option, path));
    }

    [Theory]
    [InlineData(";;")]
    [InlineData("a")]
    [InlineData(".")]
    [InlineData("\"")]
    public void A_delimiter_that_cannot_be_one_is_refused(string option)
    {
        var error = Assert.Throws<UserInputException>(() => CsvRecords.Delimiter(option, "x.csv"));
        Assert.Equal($"--delimiter '{option}': expected one character such as , ; | or the word tab", error.Message);
    }
}
