package io.batchgrid.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP forwarder on loopback that a test can cut and heal: the way into a worker that advertises
 * the proxy's port as its Artery address. Cut, it closes every connection and listens no more
 * (peers get "connection refused", as from a host whose port is blocked); healed, it listens on the
 * same port again. Artery sends over connections it opens itself, one way each: the others' reach
 * the worker through the proxy, the worker's own go straight to them. A cut is therefore one-way:
 * nothing reaches the worker, and what it sends still arrives (pause its JVM to stop that too).
 */
final class CutProxy implements AutoCloseable {
  final int port;
  private final int target;
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private volatile ServerSocket listener;

  CutProxy(int port, int target) throws IOException {
    this.port = port;
    this.target = target;
    heal();
  }

  /** Listens again on the same port. */
  synchronized void heal() throws IOException {
    if (listener != null) {
      return;
    }
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    listener = s;
    Thread acceptor = new Thread(() -> accept(s), "cut-proxy-" + port);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Closes every connection and the listener. */
  synchronized void cut() throws IOException {
    ServerSocket s = listener;
    listener = null;
    if (s != null) {
      s.close();
    }
    for (Socket c : open) {
      c.close();
    }
    open.clear();
  }

  private void accept(ServerSocket s) {
    while (!s.isClosed()) {
      try {
        Socket in = s.accept();
        Socket out = new Socket(InetAddress.getLoopbackAddress(), target);
        open.add(in);
        open.add(out);
        pump(in, out);
        pump(out, in);
      } catch (IOException e) {
        // closed by cut(), or the target refused: the peer sees its connection end
      }
    }
  }

  private void pump(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[64 * 1024];
      try (InputStream i = from.getInputStream(); OutputStream o = to.getOutputStream()) {
        int n;
        while ((n = i.read(buf)) >= 0) {
          o.write(buf, 0, n);
        }
      } catch (IOException e) {
        // cut, or one side closed
      } finally {
        try {
          from.close();
          to.close();
        } catch (IOException e) {
          // already closed
        }
        open.remove(from);
        open.remove(to);
      }
    }, "cut-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    cut();
  }
}
