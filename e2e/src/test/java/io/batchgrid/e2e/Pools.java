package io.batchgrid.e2e;

import static org.awaitility.Awaitility.await;

import java.time.Duration;

import com.microsoft.azure.batch.BatchClient;
import com.microsoft.azure.batch.protocol.models.AllocationState;
import com.microsoft.azure.batch.protocol.models.ImageReference;
import com.microsoft.azure.batch.protocol.models.PoolAddParameter;
import com.microsoft.azure.batch.protocol.models.VirtualMachineConfiguration;

/** Pool set-up shared by the end-to-end tests. */
public final class Pools {
  private Pools() {}

  /** Creates a pool of in-process nodes as an Azure Batch user would, and waits until it is steady. */
  public static void create(BatchClient client, String id, int nodes, int slots) throws Exception {
    client.poolOperations().createPool(new PoolAddParameter().withId(id).withVmSize("standard_d2s_v3")
        .withVirtualMachineConfiguration(new VirtualMachineConfiguration()
            .withImageReference(new ImageReference().withPublisher("canonical").withOffer("0001-com-ubuntu-server-jammy").withSku("22_04-lts"))
            .withNodeAgentSKUId("batch.node.ubuntu 22.04"))
        .withTargetDedicatedNodes(nodes).withTaskSlotsPerNode(slots));
    await().atMost(Duration.ofSeconds(60)).until(() ->
        client.poolOperations().getPool(id).allocationState() == AllocationState.STEADY);
  }
}
