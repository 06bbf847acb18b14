package io.distributedcache.jcache;

/**
 * The {@code unwrap(Class)} of the JCache types this provider implements (cache, manager, entries,
 * events): each unwraps only to its own class and the types it implements.
 */
final class Unwrapping {

  private Unwrapping() {}

  /**
   * Returns {@code self} as a {@code clazz}.
   *
   * @param what names {@code self} in the message of the exception
   * @throws IllegalArgumentException if {@code self} is not a {@code clazz}, as JCache specifies
   */
  static <T> T unwrap(Object self, Class<T> clazz, String what) {
    if (clazz.isInstance(self)) {
      return clazz.cast(self);
    }
    throw new IllegalArgumentException("cannot unwrap " + what + " to " + clazz.getName());
  }
}
