package io.distributedcache.core.engine;

/**
 * A command failed the way Redis reports as an error reply. The message is the exact Redis error
 * text without the leading '-', for example {@code "ERR value is not an integer or out of range"};
 * the protocol layer writes it out as it is.
 *
 * <p>Errors are an ordinary outcome of bad client input, so this exception has no stack trace
 * (creating it costs an allocation, not a stack walk) and no suppression.
 */
public final class CommandException extends RuntimeException {

  /** Creates an error with the exact Redis message, e.g. {@code "ERR no such key"}. */
  public CommandException(String message) {
    super(message, null, false, false);
  }
}
