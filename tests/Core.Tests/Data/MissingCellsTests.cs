using Trainer.Core.Data;
using Trainer.Core.Models;

namespace Trainer.Core.Tests.Data;

/// <summary>Missing cells (empty, NA, N/A, ?) refused, dropped or filled with means; columns ignored.</summary>
public sealed class MissingCellsTests
{
    private static readonly LabelRule Classes = new(true);
    private const string Biopsy = "id,a,b,y\nx1,1,NA,0\nx2,3,4,1\nx3,,8,0\nx4,5,?,NA\nx5,n/a,6,1\n";

    [Fact]
    public void A_missing_cell_is_refused_by_default_with_the_options_that_read_it()
    {
        using var folder = new TestData.TempFolder();
        var file = folder.File("b.csv", "a,b,y\n1,2,0\n1,NA,1\n");
        var error = Assert.Throws<UserInputException>(() => CsvReader.Read(file, Classes));
        Assert.Equal($"{file}, line 3, column 2 ('b'): a missing value ('NA'); pass --missing drop (leave such rows out) or --missing mean (the column's mean)", error.Message);
    }

    [Fact]
    public void Drop_leaves_out_every_row_with_a_missing_feature_or_label()
    {
        using var folder = new TestData.TempFolder();
        var data = CsvReader.Read(folder.File("b.csv", Biopsy), Classes, missing: new MissingValues(MissingValues.Drop), ignoreColumns: ["id"]);
        Assert.Equal([3f, 4f], data.X);
        Assert.Equal([1f], data.Y);
        Assert.Null(data.MissingMeans);
    }

    [Fact]
    public void Mean_fills_a_feature_with_its_column_mean_over_the_rows_that_have_it_and_leaves_out_rows_without_a_label()
    {
        using var folder = new TestData.TempFolder();
        var data = CsvReader.Read(folder.File("b.csv", Biopsy), Classes, missing: new MissingValues(MissingValues.Mean), ignoreColumns: ["id"]);
        // the row x4 has no label: out; a's mean over x1, x2 is 2; b's over x2, x3, x5 is 6
        Assert.Equal([2.0, 6.0], data.MissingMeans!);
        Assert.Equal([1f, 6f, 3f, 4f, 2f, 8f, 2f, 6f], data.X);
        Assert.Equal([0f, 1f, 0f, 1f], data.Y);
    }

    [Fact]
    public void Given_means_fill_another_files_missing_cells()
    {
        using var folder = new TestData.TempFolder();
        var data = CsvReader.Read(folder.File("new.csv", "a,b,y\nNA,1,0\n7,,1\n"), Classes, missing: new MissingValues(MissingValues.Mean, [2.5, -1.0]));
        Assert.Equal([2.5f, 1f, 7f, -1f], data.X);
    }

    [Fact]
    public void Ignored_columns_are_left_out_before_anything_is_read()
    {
        using var folder = new TestData.TempFolder();
        var data = CsvReader.Read(folder.File("n.csv", "id,a,note,y\nA-17,1,\"left, side\",0\n,2,NA,1\n"), Classes, ignoreColumns: ["id", "note"]);
        Assert.Equal((2, 1), (data.Count, data.Features));
        Assert.Equal([1f, 2f], data.X);
    }

    [Fact]
    public void An_unknown_or_label_column_to_ignore_is_an_error_naming_the_header()
    {
        using var folder = new TestData.TempFolder();
        var file = folder.File("n.csv", "id,a,y\n1,2,0\n");
        Assert.Equal($"{file}: --ignore-columns 'ide' is not in the header (id, a, y)",
            Assert.Throws<UserInputException>(() => CsvReader.Read(file, Classes, ignoreColumns: ["ide"])).Message);
        Assert.Equal("--ignore-columns 'y': it is the label column (--label-column); a model needs its labels",
            Assert.Throws<UserInputException>(() => CsvReader.Read(file, Classes, labelColumn: "y", ignoreColumns: ["y"])).Message);
    }

    [Fact]
    public void A_model_file_keeps_how_its_data_was_read()
    {
        using var folder = new TestData.TempFolder();
        var spec = new ModelSpec("logreg", 2, 2, []);
        var origin = new DataOrigin("b.csv", null, 42, 0.2, Missing: MissingValues.Mean, MissingMeans: [2.0, 6.25], IgnoreColumns: "id,note");
        var read = ModelFile.Read(folder.File("m.json", new ModelFile(spec, Preprocessor.Identity, origin, new float[new Network(spec).ParameterCount]).ToBytes()));
        Assert.Equal((MissingValues.Mean, "id,note"), (read.Origin.Missing, read.Origin.IgnoreColumns));
        Assert.Equal([2.0, 6.25], read.Origin.MissingMeans!);
    }
}
