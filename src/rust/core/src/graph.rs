//! Functional model graphs: Keras 3.15's rebuild order (`functional_from_config`), without
//! tensors. Nodes are processed layer by layer, each once every node it reads exists; a node
//! that never becomes processable is part of a loop or disconnected.

use std::collections::HashMap;

/// One input of a node: `[layer, node_index, tensor_index]`'s first two.
#[derive(Debug, Clone, PartialEq)]
pub struct Ref {
    pub layer: String,
    pub node: i64,
}

#[derive(Debug, PartialEq)]
pub enum GraphError {
    UnknownLayer {
        layer: String,
        referenced_by: String,
    },
    /// Nodes left unprocessed: (layer, its inputs), in layer order.
    Unresolved(Vec<(String, Vec<Ref>)>),
}

impl GraphError {
    pub fn message(&self) -> String {
        match self {
            GraphError::UnknownLayer { layer, referenced_by } => {
                format!("Unknown layer: '{layer}' (an inbound node of layer '{referenced_by}' refers to it).")
            }
            GraphError::Unresolved(nodes) => {
                let shown: Vec<String> = nodes
                    .iter()
                    .map(|(layer, refs)| {
                        let inputs: Vec<String> = refs.iter().map(|r| format!("{}[{}]", r.layer, r.node)).collect();
                        format!("'{layer}' <- [{}]", inputs.join(", "))
                    })
                    .collect();
                format!(
                    "Invalid Functional model configuration. The graph of the Functional model either has loops or \
                     disconnected nodes. The following nodes failed to be resolved: {{{}}}",
                    shown.join(", ")
                )
            }
        }
    }
}

/// Runs the rebuild: `initial[i]` is the nodes layer `i` has before any call (1 for input
/// layers and nested Functional models), `nodes[i]` its inbound nodes. Returns every layer's
/// node count.
pub fn resolve(names: &[String], initial: &[u32], nodes: &[Vec<Vec<Ref>>]) -> Result<Vec<u32>, GraphError> {
    let index: HashMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
    let mut pending: Vec<Vec<Vec<(usize, i64)>>> = Vec::with_capacity(nodes.len());
    for (i, layer_nodes) in nodes.iter().enumerate() {
        let mut resolved = Vec::with_capacity(layer_nodes.len());
        for node in layer_nodes {
            let mut refs = Vec::with_capacity(node.len());
            for r in node {
                let Some(&j) = index.get(r.layer.as_str()) else {
                    return Err(GraphError::UnknownLayer { layer: r.layer.clone(), referenced_by: names[i].clone() });
                };
                refs.push((j, r.node));
            }
            resolved.push(refs);
        }
        pending.push(resolved);
    }
    let mut counts = initial.to_vec();
    let mut done = vec![0usize; pending.len()];
    loop {
        let mut progress = false;
        for i in 0..pending.len() {
            while done[i] < pending[i].len() {
                let ready = pending[i][done[i]].iter().all(|&(j, node)| node >= 0 && node < i64::from(counts[j]));
                if !ready {
                    break;
                }
                counts[i] += 1;
                done[i] += 1;
                progress = true;
            }
        }
        if !progress || (0..pending.len()).all(|i| done[i] == pending[i].len()) {
            break;
        }
    }
    let left: Vec<(String, Vec<Ref>)> = (0..pending.len())
        .flat_map(|i| nodes[i][done[i]..].iter().map(move |node| (names[i].clone(), node.clone())))
        .collect();
    if left.is_empty() {
        Ok(counts)
    } else {
        Err(GraphError::Unresolved(left))
    }
}

/// Whether a model's `input_layers` or `output_layers` (`key`) may hold the reference `r`: it must
/// name a layer of the model (`names`) and one of its nodes (`counts`, from [`resolve`]).
pub fn check_endpoint(key: &str, r: &Ref, names: &[String], counts: &[u32]) -> Result<(), String> {
    let Some(i) = names.iter().position(|n| *n == r.layer) else {
        return Err(format!("'{key}' refers to unknown layer '{}'.", r.layer));
    };
    if r.node >= i64::from(counts[i]) {
        return Err(format!(
            "'{key}' refers to node {} of layer '{}', which has {} node(s).",
            r.node, r.layer, counts[i]
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(layer: &str, node: i64) -> Ref {
        Ref { layer: layer.to_owned(), node }
    }

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_chain_resolves_and_counts_nodes() {
        let counts =
            resolve(&names(&["x", "a", "b"]), &[1, 0, 0], &[vec![], vec![vec![r("x", 0)]], vec![vec![r("a", 0)]]]);
        assert_eq!(counts, Ok(vec![1, 1, 1]));
    }

    #[test]
    fn layers_listed_before_their_inputs_resolve_on_a_later_pass() {
        let counts =
            resolve(&names(&["b", "a", "x"]), &[0, 0, 1], &[vec![vec![r("a", 0)]], vec![vec![r("x", 0)]], vec![]]);
        assert_eq!(counts, Ok(vec![1, 1, 1]));
    }

    #[test]
    fn a_shared_layer_gets_one_node_per_call() {
        let nodes = vec![vec![], vec![], vec![vec![r("l", 0)], vec![r("r", 0)]], vec![vec![r("s", 0), r("s", 1)]]];
        let counts = resolve(&names(&["l", "r", "s", "dot"]), &[1, 1, 0, 0], &nodes);
        assert_eq!(counts, Ok(vec![1, 1, 2, 1]));
    }

    #[test]
    fn loops_are_reported_with_the_nodes_left() {
        let err =
            resolve(&names(&["x", "a", "b"]), &[1, 0, 0], &[vec![], vec![vec![r("b", 0)]], vec![vec![r("a", 0)]]])
                .unwrap_err();
        assert_eq!(err.message().split(": ").last(), Some("{'a' <- [b[0]], 'b' <- [a[0]]}"));
    }

    #[test]
    fn a_node_index_that_never_exists_is_unresolved() {
        let err = resolve(&names(&["x", "a"]), &[1, 0], &[vec![], vec![vec![r("x", 3)]]]).unwrap_err();
        assert_eq!(err, GraphError::Unresolved(vec![("a".into(), vec![r("x", 3)])]));
    }

    #[test]
    fn unknown_layers_are_named_with_who_refers_to_them() {
        let err = resolve(&names(&["x", "a"]), &[1, 0], &[vec![], vec![vec![r("ghost", 0)]]]).unwrap_err();
        assert_eq!(err, GraphError::UnknownLayer { layer: "ghost".into(), referenced_by: "a".into() });
    }
}
