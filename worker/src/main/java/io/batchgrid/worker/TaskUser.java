package io.batchgrid.worker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.batchgrid.protocol.spec.UserIdentity;

/**
 * Who a task's process runs as, Azure's {@code userIdentity.autoUser.elevationLevel}:
 *
 * <ul>
 *   <li>When the worker runs as root and a task user is configured ({@code
 *       batchgrid.worker.task-user}, default {@value #DEFAULT_NAME}), a {@code nonadmin} task (the
 *       default) runs as that unprivileged user, created on first use when it does not exist
 *       ({@code useradd --system}), switched to with util-linux {@code setpriv} (real and effective
 *       uid and gid, no supplementary groups). Its task directory is handed to that user. An {@code
 *       admin} task runs as root, the worker's own user.
 *   <li>Otherwise (the worker is not root, or the task user is set empty) every task runs as the
 *       worker's own user, whatever its elevation: an unprivileged worker cannot become anyone else.
 * </ul>
 *
 * <p>Azure's {@code task} scope creates a user per task; here both scopes run as the one task user.
 * Resolved once, on first use (which runs a few commands): call {@link #nonAdmin} from a blocking thread.
 */
public final class TaskUser {
  public static final String DEFAULT_NAME = "_azbatch";
  private static final Logger log = LoggerFactory.getLogger(TaskUser.class);
  private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_-]{0,31}");

  /** The unprivileged account tasks switch to. */
  public record Account(String name, int uid, int gid) {}

  private final String configuredName;
  private volatile boolean resolved;
  private volatile Account account;

  private TaskUser(String configuredName) {
    this.configuredName = configuredName;
  }

  /** One per name in the JVM: every in-process node shares the resolution (and the useradd). */
  private static final java.util.concurrent.ConcurrentHashMap<String, TaskUser> BY_NAME =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** From {@code batchgrid.worker.task-user}: a name, or empty for "every task as the worker's user". */
  public static TaskUser configured(String name) {
    if (!name.isEmpty() && !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("batchgrid.worker.task-user: not a user name: " + name);
    }
    return BY_NAME.computeIfAbsent(name, TaskUser::new);
  }

  /** Every task as the worker's own user. */
  public static TaskUser workerOnly() {
    return new TaskUser("");
  }

  /** The account a non-admin task switches to, or null when tasks run as the worker's user. */
  public Account nonAdmin() {
    if (!resolved) {
      synchronized (this) {
        if (!resolved) {
          account = resolve();
          resolved = true;
        }
      }
    }
    return account;
  }

  /** Node roots by whether the task user can reach them (search permission on every ancestor). */
  private final java.util.concurrent.ConcurrentHashMap<Path, Boolean> reachable = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * The account {@code identity} runs as on the node rooted at {@code nodeRoot}, or null for the
   * worker's own user. A node root the task user cannot reach (a data directory under a private
   * home such as {@code /root}) leaves tasks as the worker's user, with a warning naming it: the
   * task could not even open its own files otherwise.
   */
  public Account accountFor(UserIdentity identity, Path nodeRoot) {
    boolean admin = identity.hasAutoUser() && "admin".equalsIgnoreCase(identity.getAutoUser().getElevationLevel());
    Account account = admin ? null : nonAdmin();
    if (account == null) {
      return null;
    }
    boolean ok = reachable.computeIfAbsent(nodeRoot, root -> {
      try {
        if (run(command(account, List.of("test", "-x", root.toString())).toArray(String[]::new)) != null) {
          return true;
        }
      } catch (IOException e) {
        // as unreachable
      }
      log.warn("The task user {} cannot reach {} (a directory above it lacks search permission for others): "
          + "non-admin tasks of this node run as the worker's user. Give the data directory's ancestors o+x, "
          + "or set batchgrid.worker.task-user empty to silence this", account.name(), root);
      return false;
    });
    return ok ? account : null;
  }

  /** {@code argv} as {@code account}: through setpriv, or unchanged for the worker's user. */
  static List<String> command(Account account, List<String> argv) {
    if (account == null) {
      return argv;
    }
    List<String> out = new ArrayList<>(argv.size() + 6);
    out.addAll(List.of("setpriv", "--reuid=" + account.uid(), "--regid=" + account.gid(), "--clear-groups", "--"));
    out.addAll(argv);
    return out;
  }

  /** Makes {@code dir} and everything under it the account's (what resource files brought in too). */
  static void handOver(Account account, Path dir) throws IOException {
    UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
    UserPrincipal user = users.lookupPrincipalByName(Integer.toString(account.uid()));
    GroupPrincipal group = users.lookupPrincipalByGroupName(Integer.toString(account.gid()));
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) all.sorted(Comparator.naturalOrder())::iterator) {
        PosixFileAttributeView view = Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        view.setOwner(user);
        view.setGroup(group);
      }
    }
  }

  private Account resolve() {
    if (configuredName.isEmpty()) {
      return null;
    }
    if (!isRoot()) {
      log.info("The worker is not root: every task runs as its user, whatever its elevation level");
      return null;
    }
    try {
      if (run("id", "-u", configuredName) == null) {
        String created = run("useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
            "--shell", "/usr/sbin/nologin", configuredName);
        if (created == null && run("id", "-u", configuredName) == null) {
          throw new IllegalStateException("cannot create the task user " + configuredName + " (useradd failed)");
        }
        log.info("Created the unprivileged task user {}", configuredName);
      }
      int uid = Integer.parseInt(run("id", "-u", configuredName));
      int gid = Integer.parseInt(run("id", "-g", configuredName));
      if (uid == 0) {
        throw new IllegalStateException("the task user " + configuredName + " is root");
      }
      if (run("setpriv", "--version") == null) {
        throw new IllegalStateException("setpriv (util-linux) is not installed");
      }
      return new Account(configuredName, uid, gid);
    } catch (IOException | RuntimeException e) {
      // Running non-admin tasks as root would be a silent privilege escalation: refuse them instead.
      throw new IllegalStateException("non-admin tasks cannot run as an unprivileged user: " + e.getMessage(), e);
    }
  }

  static boolean isRoot() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return line.split("\\s+")[2].equals("0"); // the effective uid
        }
      }
    } catch (IOException e) {
      // not Linux: no identity switching
    }
    return false;
  }

  /** The command's trimmed stdout when it exits 0, else null. */
  private static String run(String... cmd) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(false).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return null;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
    return p.exitValue() == 0 ? out : null;
  }
}
