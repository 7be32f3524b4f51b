using Trainer.Core.Models;
using Trainer.Core.Models.Layers;
using Trainer.Core.Training;

namespace Trainer.Core.Export;

/// <summary>
/// A trained model as an ONNX graph (IR 8, opset 17) that takes raw features, as <c>trainer predict</c> does:
/// <list type="bullet">
/// <item>input <c>features</c>: float [N, d]; the model's standardisation as Sub and Div nodes;</item>
/// <item>for lenet and cnn a Reshape to [N, C, H, W], then per convolution a Conv (weights [M, C, K, K], strides,
/// pads) and the activation, per pooling layer a MaxPool or AveragePool, and a Flatten before the first dense layer;</item>
/// <item>per dense layer a Gemm (weights outputs × inputs, so transB = 1) and the activation (dropout acts in training only: it has no node);</item>
/// <item>outputs by head: softmax and MLP classifiers give <c>probabilities</c> [N, K] and
/// <c>label</c> (ArgMax, int64 [N]); logistic regression the positive class's <c>probability</c> [N, 1]
/// and <c>label</c> (z &gt; 0); perceptron and SVM their <c>score</c> and <c>label</c>; regression <c>value</c> [N, 1]
/// (the target's mean and scale applied to the output, as the model learns the standardised target).</item>
/// </list>
/// The model's metadata (metadata_props) carries its weights' SHA-256 and, for a classifier,
/// <c>class_names</c>: a JSON array whose i-th name is label i (<see cref="ModelFile.ClassLabels"/>:
/// the data's names, a built-in set's, else 0..K−1).
/// Field numbers are those of onnx.proto.
/// </summary>
public static class OnnxExport
{
    private const int FloatType = 1, Int64Type = 7;

    public static byte[] ToOnnx(ModelFile model)
    {
        var network = new Network(model.Spec);
        var spec = model.Spec;
        var graph = new ProtoWriter();
        var nodes = new List<ProtoWriter>();
        var initializers = new List<ProtoWriter>();
        var outputs = new List<ProtoWriter>();

        var x = "features";
        if (model.Preprocessor is { Mean: { } mean, Scale: { } scale })
        {
            initializers.Add(Tensor("mean", [mean.Length], mean));
            initializers.Add(Tensor("scale", [scale.Length], scale));
            nodes.Add(Node("Sub", [x, "mean"], ["centred"]));
            nodes.Add(Node("Div", ["centred", "scale"], ["standardised"]));
            x = "standardised";
        }

        var image = false;
        if (spec.InputShape is [var c, var h, var w])
        {
            initializers.Add(Int64Tensor("image.shape", [4], [-1, c, h, w]));
            nodes.Add(Node("Reshape", [x, "image.shape"], ["image"]));
            (x, image) = ("image", true);
        }
        foreach (var layer in network.Layers)
        {
            var name = layer.Name == "" ? "dense" : layer.Name;
            var last = layer == network.Layers[^1];
            var z = last ? "logits" : $"{name}.z";
            string? activation = null;
            switch (layer)
            {
                case ConvLayer conv:
                    initializers.Add(Tensor($"{name}.weight", [conv.Channels, conv.Input.Channels, conv.Kernel, conv.Kernel], model.Weights.AsSpan(conv.WeightOffset, (int)conv.WeightCount)));
                    initializers.Add(Tensor($"{name}.bias", [conv.Channels], model.Weights.AsSpan(conv.BiasOffset, (int)conv.BiasCount)));
                    nodes.Add(Node("Conv", [x, $"{name}.weight", $"{name}.bias"], [z], Attribute.Ints("kernel_shape", conv.Kernel, conv.Kernel),
                        Attribute.Ints("strides", conv.Stride, conv.Stride), Attribute.Ints("pads", conv.Padding, conv.Padding, conv.Padding, conv.Padding)));
                    activation = conv.Activation;
                    break;
                case PoolLayer pool:
                    nodes.Add(Node(pool.Kind == PoolLayer.Max ? "MaxPool" : "AveragePool", [x], [z], Attribute.Ints("kernel_shape", pool.Kernel, pool.Kernel), Attribute.Ints("strides", pool.Stride, pool.Stride)));
                    break;
                case DenseLayer dense:
                    if (image)
                    {
                        nodes.Add(Node("Flatten", [x], [$"{name}.flat"], Attribute.Int("axis", 1)));
                        (x, image) = ($"{name}.flat", false);
                    }
                    initializers.Add(Tensor($"{name}.weight", [dense.OutputSize, dense.InputSize], model.Weights.AsSpan(dense.WeightOffset, (int)dense.WeightCount)));
                    initializers.Add(Tensor($"{name}.bias", [dense.OutputSize], model.Weights.AsSpan(dense.BiasOffset, (int)dense.BiasCount)));
                    nodes.Add(Node("Gemm", [x, $"{name}.weight", $"{name}.bias"], [z], Attribute.Int("transB", 1)));
                    activation = dense.Activation;
                    break;
            }
            x = z;
            if (activation is not null)
            {
                x = $"{name}.a";
                nodes.Add(Node(activation switch { "relu" => "Relu", "tanh" => "Tanh", _ => "Sigmoid" }, [z], [x]));
            }
        }

        switch (network.Head)
        {
            case SoftmaxCrossEntropy:
                nodes.Add(Node("Softmax", ["logits"], ["probabilities"], Attribute.Int("axis", 1)));
                nodes.Add(Node("ArgMax", ["logits"], ["label"], Attribute.Int("axis", 1), Attribute.Int("keepdims", 0)));
                outputs.Add(Value("probabilities", FloatType, "N", network.OutputWidth));
                outputs.Add(Value("label", Int64Type, "N"));
                break;
            case SquaredError:
                // the network predicts the standardised target: value = σ·logits + μ
                initializers.Add(Tensor("target.scale", [], [(float)spec.TargetScale]));
                initializers.Add(Tensor("target.mean", [], [(float)spec.TargetMean]));
                nodes.Add(Node("Mul", ["logits", "target.scale"], ["scaled"]));
                nodes.Add(Node("Add", ["scaled", "target.mean"], ["value"]));
                outputs.Add(Value("value", FloatType, "N", 1));
                break;
            default: // binary heads: label 1 where z > 0, as the product predicts
                initializers.Add(Tensor("zero", [], [0f]));
                nodes.Add(Node("Greater", ["logits", "zero"], ["positive"]));
                nodes.Add(Node("Cast", ["positive"], ["label.column"], Attribute.Int("to", Int64Type)));
                initializers.Add(Int64Tensor("label.shape", [1], [-1]));
                nodes.Add(Node("Reshape", ["label.column", "label.shape"], ["label"]));
                if (network.Head is BinaryCrossEntropy)
                {
                    nodes.Add(Node("Sigmoid", ["logits"], ["probability"]));
                    outputs.Add(Value("probability", FloatType, "N", 1));
                }
                else
                {
                    nodes.Add(Node("Identity", ["logits"], ["score"]));
                    outputs.Add(Value("score", FloatType, "N", 1));
                }
                outputs.Add(Value("label", Int64Type, "N"));
                break;
        }

        foreach (var node in nodes) graph.Message(1, node);
        graph.String(2, spec.ToString());
        foreach (var tensor in initializers) graph.Message(5, tensor);
        graph.Message(11, Value("features", FloatType, "N", spec.Features));
        foreach (var output in outputs) graph.Message(12, output);

        var file = new ProtoWriter()
            .Int(1, 8) // IR version 8
            .String(2, "trainer")
            .String(3, "1")
            .String(6, $"{spec}; weightsSha256 {WeightsHash.Sha256(model.Weights)}")
            .Message(7, graph)
            .Message(8, new ProtoWriter().String(1, "").Int(2, 17)) // default domain, opset 17
            .Message(14, Metadata("weights_sha256", WeightsHash.Sha256(model.Weights)));
        if (model.ClassLabels is { Length: > 0 } names) file.Message(14, Metadata("class_names", System.Text.Json.JsonSerializer.Serialize(names)));
        return file.ToArray();
    }

    /// <summary>A StringStringEntryProto of the model's metadata_props.</summary>
    private static ProtoWriter Metadata(string key, string value) => new ProtoWriter().String(1, key).String(2, value);

    private static ProtoWriter Node(string op, string[] inputs, string[] outputs, params ProtoWriter[] attributes)
    {
        var node = new ProtoWriter();
        foreach (var input in inputs) node.String(1, input);
        foreach (var output in outputs) node.String(2, output);
        node.String(3, $"{op}:{outputs[0]}").String(4, op);
        foreach (var attribute in attributes) node.Message(5, attribute);
        return node;
    }

    private static class Attribute
    {
        public static ProtoWriter Int(string name, long value) => new ProtoWriter().String(1, name).Int(3, value).Int(20, 2); // type INT
        public static ProtoWriter Ints(string name, params long[] values) => new ProtoWriter().String(1, name).PackedInts(8, values).Int(20, 7); // type INTS
    }

    private static ProtoWriter Tensor(string name, long[] dims, ReadOnlySpan<float> values)
    {
        var tensor = new ProtoWriter();
        if (dims.Length > 0) tensor.PackedInts(1, dims);
        return tensor.Int(2, FloatType).String(8, name).Bytes(9, WeightsHash.ToBytes(values.ToArray()));
    }

    private static ProtoWriter Int64Tensor(string name, long[] dims, long[] values)
    {
        var raw = new byte[values.Length * 8];
        for (var i = 0; i < values.Length; i++) BitConverter.TryWriteBytes(raw.AsSpan(i * 8), values[i]);
        return new ProtoWriter().PackedInts(1, dims).Int(2, Int64Type).String(8, name).Bytes(9, raw);
    }

    /// <summary>A graph input or output: a tensor of the element type with a symbolic batch dimension and fixed others.</summary>
    private static ProtoWriter Value(string name, int elementType, string batch, params int[] dims)
    {
        var shape = new ProtoWriter().Message(1, new ProtoWriter().String(2, batch));
        foreach (var dim in dims) shape.Message(1, new ProtoWriter().Int(1, dim));
        var tensorType = new ProtoWriter().Int(1, elementType).Message(2, shape);
        return new ProtoWriter().String(1, name).Message(2, new ProtoWriter().Message(1, tensorType));
    }
}
