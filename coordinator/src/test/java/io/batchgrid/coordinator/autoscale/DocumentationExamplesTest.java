package io.batchgrid.coordinator.autoscale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every example formula of Azure Batch's autoscale documentation (and of the REST, PowerShell and
 * .NET pages that show formulas), evaluated against the sample data in its {@code .case} file under
 * {@code src/test/resources/autoscale/examples}.
 */
class DocumentationExamplesTest {

    static List<FormulaCase> cases() throws URISyntaxException {
        Path dir = Path.of(DocumentationExamplesTest.class.getResource("/autoscale/examples").toURI());
        return FormulaCase.loadAll(dir);
    }

    @Test
    void corpusIsThere() throws URISyntaxException {
        assertTrue(cases().size() >= 20, "expected the documentation corpus, found " + cases().size());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void evaluatesAsDocumented(FormulaCase c) {
        AutoscaleRun run;
        try {
            run = AutoscaleFormula.parse(c.formula()).evaluate(c.source(), new SplittableRandom(c.seed()));
        } catch (FormulaException e) {
            assertEquals(c.error().orElse("no error"), e.error().code() + " " + e.error().value(),
                    "formula did not parse");
            assertFalse(c.results().isPresent(), "a case that expects results must parse");
            return;
        }
        assertEquals(c.error().orElse("no error"),
                run.error().map(e -> e.code() + " " + e.value()).orElse("no error"));
        c.results().ifPresent(expected -> assertEquals(expected, run.results()));
        assertEquals(c.stopped(), run.stopped(), "stopped");
    }
}
