// The heap for bench/hprof: N Nodes in 1024 chains, each holding a byte[100] (2N objects, about 1 GB of HPROF at
// N = 6 M). Prints "ready" once built, then waits to be dumped.
public class Gen {
  static final class Node {
    Node next;
    Object payload;
    long id;
  }

  static Node[] heads;

  public static void main(String[] args) throws Exception {
    int n = Integer.parseInt(args[0]);
    heads = new Node[1024];
    for (int i = 0; i < n; i++) {
      Node x = new Node();
      x.id = i;
      x.payload = new byte[100];
      x.next = heads[i & 1023];
      heads[i & 1023] = x;
    }
    System.out.println("ready");
    Thread.sleep(3_600_000);
  }
}
