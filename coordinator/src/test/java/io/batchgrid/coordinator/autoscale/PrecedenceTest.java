package io.batchgrid.coordinator.autoscale;

import static io.batchgrid.coordinator.autoscale.Eval.number;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Operator precedence and associativity, loosest first: ?:, ||, &&, == !=, < <= > >=, + -, * /, unary. */
class PrecedenceTest {

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiterString = " => ", value = {
            "1 + 2 * 3 => 7",
            "(1 + 2) * 3 => 9",
            "10 - 4 - 3 => 3",
            "8 / 4 / 2 => 1",
            "2 * 3 / 4 => 1.5",
            "7 - 2 * 3 + 1 => 2",
            "-2 * 3 => -6",
            "- -2 => 2",
            "1 - -1 => 2",
            "!0 + 1 => 2",
            "!1 == 0 => 1",
            "+3 - 1 => 2",
            "1 + 2 < 4 => 1",
            "2 * 3 >= 7 => 0",
            "1 < 2 == 1 => 1",
            "3 > 2 > 1 => 0",
            "2 == 2 && 0 => 0",
            "1 != 2 && 3 < 4 => 1",
            "1 || 0 && 0 => 1",
            "(1 || 0) && 0 => 0",
            "0 && 1 || 1 => 1",
            "1 ? 2 : 3 + 10 => 2",
            "0 ? 2 : 3 + 10 => 13",
            "1 + 1 ? 5 : 6 => 5",
            "0 ? 1 : 0 ? 2 : 3 => 3",
            "1 ? 0 ? 4 : 5 : 6 => 5",
            "1 < 2 ? 10 : 20 => 10",
            "0 || 0 ? 10 : 20 => 20",
            "1.5e2 + .5 => 150.5",
            "2E-1 * 10 => 2",
    })
    void evaluatesWithAzurePrecedence(String expression, double expected) {
        assertEquals(expected, number(expression), 1e-12);
    }
}
