using Trainer.Client.Cluster;

namespace Trainer.Client.Tests;

/// <summary>The line the trainer prints when it loses the parameter server says why in a few words, never a stack trace.</summary>
public sealed class LossReasonTests
{
    [Fact]
    public void A_connection_failure_is_its_own_sentence_without_the_wrapped_type_the_retry_or_the_stack()
    {
        // the message Orleans gave when the server's silo had been killed (ElasticClusterTests)
        var failed = new Exception("Exception while sending message: Orleans.Runtime.Messaging.ConnectionFailedException: " +
            "Unable to connect to S127.0.0.1:23070:155418618, will retry after 900.5151ms\n" +
            "   at Orleans.Runtime.Messaging.MessageCenter.<SendMessage>g__SendAsync|32_0(MessageCenter messageCenter) in /_/src/Orleans.Runtime/Messaging/MessageCenter.cs:line 245");
        Assert.Equal("Unable to connect to S127.0.0.1:23070:155418618", ClusterJob.LossReason(new InvalidOperationException("outer", failed)));
    }

    [Fact]
    public void Other_reasons_keep_their_first_line()
    {
        Assert.Equal("the cluster declared its silo S127.0.0.1:1:2 dead", ClusterJob.LossReason(new Exception("the cluster declared its silo S127.0.0.1:1:2 dead")));
        Assert.Equal("first", ClusterJob.LossReason(new Exception("first\nsecond")));
    }
}
