package io.distributedcache.server;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * Turns SIGTERM and SIGINT into an orderly stop that exits with status 0.
 *
 * <p>Why: with only a shutdown hook, the JVM reports a SIGTERM exit as status 143 even after a
 * clean stop, which process supervisors (systemd, Kubernetes) read as a failure; redis-server exits
 * 0. The only JDK API for signals is {@code sun.misc.Signal} in the exported {@code
 * jdk.unsupported} module. javac reports every direct use of it as "internal proprietary API",
 * which our {@code -Werror} build refuses, so it is reached through reflection on its public
 * methods (no {@code --add-opens} needed). If that ever fails, the caller's shutdown hook still
 * stops the node cleanly, only with the JVM's status.
 */
final class Signals {

  private Signals() {}

  /**
   * Runs {@code action} on a JVM signal thread when SIGTERM or SIGINT arrives, instead of the JVM's
   * default of exiting. Called once at start-up by the main thread.
   *
   * @return whether the handlers were installed
   */
  static boolean onTerminate(Runnable action) {
    try {
      Class<?> signalType = Class.forName("sun.misc.Signal");
      Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
      InvocationHandler invocation =
          (Object proxy, Method method, Object[] args) -> {
            switch (method.getName()) {
              case "handle":
                action.run();
                return null;
              case "hashCode":
                return System.identityHashCode(proxy);
              case "equals":
                return proxy == args[0];
              case "toString":
                return "termination handler";
              default: // a proxy only dispatches the interface's methods and these three
                throw new AssertionError("SignalHandler has no method " + method.getName());
            }
          };
      Object handler =
          Proxy.newProxyInstance(
              Signals.class.getClassLoader(), new Class<?>[] {handlerType}, invocation);
      Method handle = signalType.getMethod("handle", signalType, handlerType);
      for (String name : new String[] {"TERM", "INT"}) {
        handle.invoke(null, signalType.getConstructor(String.class).newInstance(name), handler);
      }
      return true;
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      return false;
    }
  }
}
