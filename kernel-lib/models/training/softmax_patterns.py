"""What each attention Softmax of an exported graph looks like, for heads.json and the model cards."""


def softmax_patterns(model):
    """For each Softmax node: the op path from the scores MatMul(Q, K^T) to the Softmax, the ops that
    feed side inputs on that path (masks), and the ops consuming the probabilities."""
    g = model.graph
    producer = {}
    consumers = {}
    for n in g.node:
        for o in n.output:
            producer[o] = n
        for i in n.input:
            consumers.setdefault(i, []).append(n)

    def path_to_matmul(node, depth):
        if node.op_type == "MatMul":
            return [node]
        if depth == 0:
            return None
        for i in node.input:
            p = producer.get(i)
            if p is None or p.op_type == "Constant":
                continue
            r = path_to_matmul(p, depth - 1)
            if r is not None:
                return r + [node]
        return None

    out = []
    for n in g.node:
        if n.op_type != "Softmax":
            continue
        axis = [a.i for a in n.attribute if a.name == "axis"]
        path = path_to_matmul(n, 6) or [n]
        on_path = {id(x) for x in path}
        side = []
        for x in path[1:]:
            for i in x.input:
                p = producer.get(i)
                if p is not None and id(p) not in on_path and p.op_type != "Constant":
                    side.append(f"{x.op_type}<-{p.op_type}")
        down = [c.op_type for c in consumers.get(n.output[0], [])]
        out.append(
            {
                "softmax": n.name,
                "axis": axis[0] if axis else None,
                "pattern": " -> ".join([x.op_type for x in path] + ["|".join(down)]),
                "side_inputs": side,
                "scores_matmul": path[0].name,
                "scores_matmul_inputs": [producer[i].op_type if i in producer else "graph input" for i in path[0].input],
                "consumers": down,
            }
        )
    return out
