package io.batchgrid.e2e;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.batchgrid.testing.PostgresServer;

/**
 * The multi-coordinator cluster of the failover tests: a throwaway PostgreSQL, two {@code batchgrid
 * coordinator} JVMs ("a" and "b", each naming both as seeds) on one database of it, and one {@code
 * batchgrid api} JVM, all ready. Everything started is added to {@code closing}.
 *
 * @param env           the environment every member got (account, journal, PostgreSQL, and the extra)
 * @param seeds         {@code --seed} arguments naming both coordinators, for further members
 * @param management    each coordinator's Pekko Management port, "a" first
 * @param coordinators  each coordinator's process
 * @param apiPort       the Azure Batch API's HTTP port
 * @param apiManagement the api member's Pekko Management port
 */
record CoordinatorPair(Map<String, String> env, List<String> seeds, Map<String, Integer> management,
    Map<String, MemberProcess> coordinators, int apiPort, int apiManagement) {

  static CoordinatorPair start(Path tmp, String database, Map<String, String> extraEnv, List<AutoCloseable> closing)
      throws Exception {
    PostgresServer pg = PostgresServer.start();
    closing.add(pg);
    Map<String, String> env = new HashMap<>(Map.of(
        "BATCHGRID_ACCOUNT_NAME", ServerProcess.ACCOUNT, "BATCHGRID_ACCOUNT_KEY", ServerProcess.KEY,
        "BATCHGRID_JOURNAL", "postgres", "BATCHGRID_POSTGRES_URL", pg.createDatabase(database),
        "BATCHGRID_POSTGRES_USER", PostgresServer.USER));
    env.putAll(extraEnv);

    Map<String, Integer> artery = Map.of("a", MemberProcess.freePort(), "b", MemberProcess.freePort());
    List<String> seeds = List.of("--seed", "127.0.0.1:" + artery.get("a"), "--seed", "127.0.0.1:" + artery.get("b"));
    Map<String, Integer> management = new LinkedHashMap<>();
    Map<String, MemberProcess> coordinators = new LinkedHashMap<>();
    for (String name : List.of("a", "b")) {
      int mgmt = MemberProcess.freePort();
      management.put(name, mgmt);
      List<String> args = new ArrayList<>(List.of("coordinator", "--data", tmp.resolve(name).toString(),
          "--cluster-port", Integer.toString(artery.get(name)), "--management-port", Integer.toString(mgmt)));
      args.addAll(seeds);
      MemberProcess p = new MemberProcess("coordinator-" + name, args, env, "batchgrid coordinator ready").launch();
      closing.add(p);
      coordinators.put(name, p);
    }
    for (MemberProcess p : coordinators.values()) {
      p.awaitReady();
    }

    int apiPort = MemberProcess.freePort();
    int apiManagement = MemberProcess.freePort();
    List<String> apiArgs = new ArrayList<>(List.of("api", "--port", Integer.toString(apiPort),
        "--data", tmp.resolve("api").toString(), "--management-port", Integer.toString(apiManagement)));
    apiArgs.addAll(seeds);
    MemberProcess api = new MemberProcess("api", apiArgs, env, "batchgrid ready").launch();
    closing.add(api);
    api.awaitReady();
    return new CoordinatorPair(Map.copyOf(env), seeds, management, coordinators, apiPort, apiManagement);
  }
}
