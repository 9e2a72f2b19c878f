/**
 * Test mode: what {@code posthorn serve --capture} and the {@code posthorn-junit} extension add to a server so that
 * an application's tests can use it: scripted replies at any stage ({@link dev.posthorn.testmode.Script}, from code or
 * a TOML file), address triggers ({@code 451-4.7.1@fail.test}), and every accepted message kept in memory
 * ({@link dev.posthorn.testmode.MailCapture}) instead of delivered. Never wired in normal serving.
 */
package dev.posthorn.testmode;
