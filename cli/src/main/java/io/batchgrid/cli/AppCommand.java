package io.batchgrid.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import io.batchgrid.api.auth.SharedKey;
import io.batchgrid.api.routes.ApiVersions;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code batchgrid app}: application packages, managed through the server's operator paths
 * ({@code /batchgrid/applications/...}) with SharedKey-signed requests. The package file is
 * streamed from disk, never read whole into memory.
 */
@Command(name = "app", mixinStandardHelpOptions = true,
    description = "Manage application packages on a batchgrid server (upload, list, set the default version, delete).",
    subcommands = {AppCommand.Upload.class, AppCommand.ListApps.class, AppCommand.SetDefault.class,
        AppCommand.Delete.class})
public final class AppCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return Main.EXIT_USAGE;
  }

  /** Where the server is and how to sign: options, else BATCHGRID_URL / _ACCOUNT_NAME / _ACCOUNT_KEY. */
  static final class Connection {
    @Option(names = "--endpoint", paramLabel = "URL",
        description = "The server's API URL (default: $BATCHGRID_URL, else http://127.0.0.1:8280).")
    String endpoint;

    @Option(names = "--account", paramLabel = "NAME", description = "Account name (default: $BATCHGRID_ACCOUNT_NAME, else batchgrid).")
    String account;

    @Option(names = "--key", paramLabel = "BASE64",
        description = "Account key (default: $BATCHGRID_ACCOUNT_KEY). Prefer the environment: options show in ps.")
    String key;

    @Option(names = "--key-file", paramLabel = "FILE", description = "Read the account key from this file (e.g. data/account.key).")
    Path keyFile;

    String endpoint() {
      String e = endpoint != null ? endpoint : System.getenv().getOrDefault("BATCHGRID_URL", "http://127.0.0.1:8280");
      return e.endsWith("/") ? e.substring(0, e.length() - 1) : e;
    }

    String account() {
      return account != null ? account : System.getenv().getOrDefault("BATCHGRID_ACCOUNT_NAME", "batchgrid");
    }

    byte[] key() throws IOException {
      String k = key;
      if (k == null && keyFile != null) {
        k = Files.readString(keyFile).trim();
      }
      if (k == null) {
        k = System.getenv("BATCHGRID_ACCOUNT_KEY");
      }
      if (k == null || k.isBlank()) {
        throw new IllegalArgumentException("no account key: give --key, --key-file or BATCHGRID_ACCOUNT_KEY");
      }
      return Base64.getDecoder().decode(k.trim());
    }
  }

  /** Options every subcommand has. */
  static final class Common {
    @ArgGroup(exclusive = false, heading = "Server:%n")
    Connection connection = new Connection();

    @Spec(Spec.Target.MIXEE) CommandSpec spec;
  }

  @Command(name = "upload", mixinStandardHelpOptions = true,
      description = "Upload a package (.zip or .tar.gz) as a version of an application.")
  static final class Upload implements Callable<Integer> {
    @Mixin Common common;

    @Option(names = "--application", required = true, paramLabel = "ID", description = "Application id: letters, digits, '_', '-'.")
    String application;

    @Option(names = "--version", required = true, paramLabel = "VERSION", description = "Package version, e.g. 1.0.")
    String version;

    @Option(names = "--default", description = "Make this version the application's default version.")
    boolean makeDefault;

    @Option(names = "--display-name", paramLabel = "NAME", description = "The application's display name.")
    String displayName;

    @Parameters(index = "0", paramLabel = "PACKAGE", description = "The .zip or .tar.gz file.")
    Path file;

    @Override
    public Integer call() throws Exception {
      Map<String, String> query = new LinkedHashMap<>();
      if (makeDefault) {
        query.put("default", "true");
      }
      if (displayName != null) {
        query.put("displayName", displayName);
      }
      return send(common, "PUT", "/batchgrid/applications/" + enc(application) + "/versions/" + enc(version), query,
          file, null);
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the applications and their packages (JSON).")
  static final class ListApps implements Callable<Integer> {
    @Mixin Common common;

    @Option(names = "--application", paramLabel = "ID", description = "Only this application.")
    String application;

    @Override
    public Integer call() throws Exception {
      return send(common, "GET", "/batchgrid/applications" + (application == null ? "" : "/" + enc(application)),
          Map.of(), null, null);
    }
  }

  @Command(name = "set-default", mixinStandardHelpOptions = true,
      description = "Set the application's default version (the one a reference without a version gets).")
  static final class SetDefault implements Callable<Integer> {
    @Mixin Common common;

    @Option(names = "--application", required = true, paramLabel = "ID")
    String application;

    @Option(names = "--version", required = true, paramLabel = "VERSION", description = "An uploaded version; '' to unset.")
    String version;

    @Override
    public Integer call() throws Exception {
      String json = "{\"defaultVersion\":\"" + version.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}";
      return send(common, "PATCH", "/batchgrid/applications/" + enc(application), Map.of(), null, json);
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a version (the application goes with its last one).")
  static final class Delete implements Callable<Integer> {
    @Mixin Common common;

    @Option(names = "--application", required = true, paramLabel = "ID")
    String application;

    @Option(names = "--version", required = true, paramLabel = "VERSION")
    String version;

    @Override
    public Integer call() throws Exception {
      return send(common, "DELETE", "/batchgrid/applications/" + enc(application) + "/versions/" + enc(version),
          Map.of(), null, null);
    }
  }

  /** Signs and sends one request; prints the answer's body; 0 on 2xx, 1 otherwise. */
  static int send(Common common, String method, String path, Map<String, String> query, Path file, String json)
      throws IOException, InterruptedException {
    PrintWriter out = common.spec.commandLine().getOut();
    PrintWriter err = common.spec.commandLine().getErr();
    Connection c = common.connection;
    byte[] key;
    try {
      key = c.key();
    } catch (IllegalArgumentException e) {
      err.println("batchgrid app: " + e.getMessage());
      return Main.EXIT_USAGE;
    }
    Map<String, String> q = new LinkedHashMap<>(query);
    q.put("api-version", ApiVersions.LATEST);
    StringBuilder rawQuery = new StringBuilder();
    q.forEach((k, v) -> rawQuery.append(rawQuery.length() == 0 ? "" : "&").append(k).append('=').append(enc(v)));

    String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC));
    String contentType = file != null ? "application/octet-stream" : json != null ? "application/json; charset=utf-8" : "";
    long length = file != null ? Files.size(file) : json != null ? json.getBytes(StandardCharsets.UTF_8).length : 0;
    Map<String, List<String>> signedQuery = new LinkedHashMap<>();
    q.forEach((k, v) -> signedQuery.put(k, List.of(v)));
    String toSign = SharedKey.stringToSign(new SharedKey.Signable(method, "", "", length > 0 ? Long.toString(length) : "",
        "", contentType, "", "", "", "", "", "", Map.of("ocp-date", date), c.account(), path, signedQuery));

    HttpRequest.BodyPublisher body = file != null ? HttpRequest.BodyPublishers.ofFile(file)
        : json != null ? HttpRequest.BodyPublishers.ofString(json) : HttpRequest.BodyPublishers.noBody();
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(c.endpoint() + path + "?" + rawQuery))
        .method(method, body)
        .timeout(Duration.ofHours(1))
        .header("ocp-date", date)
        .header("Authorization", SharedKey.authorization(c.account(), SharedKey.sign(key, toSign)));
    if (!contentType.isEmpty()) {
      request.header("Content-Type", contentType);
    }
    HttpResponse<String> response;
    try {
      response = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()
          .send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      err.println("batchgrid app: cannot reach " + c.endpoint() + ": " + e);
      return 1;
    }
    boolean ok = response.statusCode() / 100 == 2;
    String text = response.body() == null ? "" : response.body().strip();
    if (ok) {
      if (!text.isEmpty()) {
        out.println(text);
      }
      out.flush();
      return 0;
    }
    err.println("batchgrid app: " + method + " " + path + " answered " + response.statusCode()
        + (text.isEmpty() ? "" : ": " + text));
    err.flush();
    return 1;
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
