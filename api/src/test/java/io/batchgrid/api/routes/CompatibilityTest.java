package io.batchgrid.api.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.junit.jupiter.api.Test;

/**
 * docs/compatibility.md (written by scripts/compatibility.py) agrees with the routes: what it calls
 * served or partial has a route, and everything else answers FeatureNotSupported, never 404 or 405.
 */
class CompatibilityTest {
  static final Pattern ROW = Pattern.compile("^\\| `(\\w+)` \\| `(\\w+) ([^`]+)` \\| ([a-z ]+) \\|");

  @Test
  void everyOperationOfTheTableAnswersAsItSays() throws Exception {
    Path doc = Path.of("..", "docs", "compatibility.md");
    List<String> lines = Files.readAllLines(doc);
    Router router = ApiHandler.routes(new Coordinator(null));
    int rows = 0;
    for (String line : lines) {
      Matcher m = ROW.matcher(line);
      if (!m.find()) {
        continue;
      }
      rows++;
      String method = m.group(2);
      String path = m.group(3).replaceAll("\\{[^}]+\\}", "x");
      String status = m.group(4).trim();
      HttpRequest request = HttpRequest.create(path.replace("(", "%28").replace(")", "%29").replace(",", "%2C")
          + "?api-version=2024-07-01.20.0").withMethod(HttpMethods.lookup(method).orElseThrow());
      RequestContext ctx = new RequestContext(request.addHeader(
          org.apache.pekko.http.javadsl.model.headers.RawHeader.create("Raw-Request-URI", path + "?api-version=2024-07-01.20.0")),
          "localhost");
      String answer;
      try {
        router.match(ctx);
        answer = "route";
      } catch (ApiError e) {
        answer = e.code();
      }
      if (status.equals("served") || status.equals("partial")) {
        assertEquals("route", answer, method + " " + path + " is " + status + " in the table");
      } else {
        assertTrue(answer.equals("route") || answer.equals("FeatureNotSupported"), method + " " + path + ": " + answer);
        assertFalse(status.equals("not yet") && answer.equals("route"),
            method + " " + path + " has a route: mark it served in scripts/compatibility.py");
      }
    }
    assertEquals(77, rows, "every operation of the specification is in the table");
  }
}
