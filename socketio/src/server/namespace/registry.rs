//! The namespaces of a server: the static ones, the parents of dynamic ones and the children
//! clients made, and who hears of new ones.

use std::collections::HashMap;
use std::sync::{Arc, RwLock, Weak};

use serde_json::Value;

use super::hooks::{NewNamespaceFn, PredicateFn};
use super::{read, write, Kind, Namespace, Shared};
use crate::packet::NamespaceName;
use crate::server::callback;
use crate::server::config::Config;
use crate::server::error::ConnectError;

#[derive(Default)]
struct Map {
    namespaces: HashMap<NamespaceName, Namespace>,
    /// The parents of dynamic namespaces, tried in the order they were made.
    parents: Vec<(PredicateFn, Namespace)>,
    /// The number of the next parent (`/_N`).
    next_parent: usize,
    /// Dynamic children registered now.
    children: usize,
}

/// The namespaces of one server.
pub(crate) struct Registry {
    config: Arc<Config>,
    this: Weak<Registry>,
    map: RwLock<Map>,
    new_namespace: RwLock<Arc<[NewNamespaceFn]>>,
}

impl Registry {
    pub(crate) fn new(config: Arc<Config>) -> Arc<Self> {
        Arc::new_cyclic(|this| Self {
            config,
            this: this.clone(),
            map: RwLock::default(),
            new_namespace: RwLock::new(Arc::from([])),
        })
    }

    /// The namespace registered under `name`, if any.
    pub(crate) fn get(&self, name: &NamespaceName) -> Option<Namespace> {
        read(&self.map).namespaces.get(name).cloned()
    }

    /// The static namespace `name`, made now if it does not exist.
    pub(crate) fn of(&self, name: NamespaceName) -> Namespace {
        if let Some(found) = self.get(&name) {
            return found;
        }
        let made = Namespace::create(name, Kind::Static, &self.config, self.this.clone());
        self.register(made, |_, _| true).unwrap_or_else(|made| made)
    }

    /// Registers a namespace made outside the lock, unless another with its name was
    /// registered meanwhile (then that one is the namespace, and `made` is dropped unstarted);
    /// a new one is started and announced. `admit` may refuse it, under the lock: `Err` gives
    /// it back, unstarted.
    fn register(
        &self,
        made: Namespace,
        admit: impl FnOnce(&mut Map, &Namespace) -> bool,
    ) -> Result<Namespace, Namespace> {
        let found = {
            let mut map = write(&self.map);
            match map.namespaces.get(made.name()).cloned() {
                Some(found) => Some(found),
                None if !admit(&mut map, &made) => return Err(made),
                None => {
                    map.namespaces.insert(made.name().clone(), made.clone());
                    None
                }
            }
        };
        if let Some(found) = found {
            return Ok(found);
        }
        made.start();
        if !made.name().is_root() {
            self.announce(&made);
        }
        Ok(made)
    }

    /// A parent of dynamic namespaces, named `/_N` as the reference names them.
    pub(crate) fn add_parent(&self, predicate: PredicateFn) -> Namespace {
        let number = {
            let mut map = write(&self.map);
            map.next_parent += 1;
            map.next_parent - 1
        };
        let name = NamespaceName::new(&format!("/_{number}")).unwrap_or_default();
        let kind = Kind::Parent(std::sync::Mutex::default());
        let parent = Namespace::create(name, kind, &self.config, self.this.clone());
        write(&self.map).parents.push((predicate, parent.clone()));
        parent.start();
        parent
    }

    /// The namespace a CONNECT asks for: a registered one, or a child of the first parent
    /// whose predicate takes it (tried in order, each awaited), made now. Refused as the
    /// reference refuses an unknown namespace, or past `max_dynamic_namespaces`.
    pub(crate) async fn resolve(
        self: Arc<Self>,
        name: NamespaceName,
        auth: Value,
    ) -> Result<Namespace, ConnectError> {
        if let Some(found) = self.get(&name) {
            return Ok(found);
        }
        let parents = read(&self.map).parents.clone();
        for (predicate, parent) in parents {
            if predicate(name.as_str(), &auth).await {
                return self.child(&parent, name);
            }
        }
        Err(ConnectError::new("Invalid namespace"))
    }

    /// The child `name` of `parent`: the one another client made meanwhile, or a new one
    /// while there are fewer than `max_dynamic_namespaces`.
    fn child(&self, parent: &Namespace, name: NamespaceName) -> Result<Namespace, ConnectError> {
        if let Some(found) = self.get(&name) {
            return Ok(found);
        }
        let max = self.config.max_dynamic_namespaces;
        if read(&self.map).children >= max {
            return Err(too_many());
        }
        let kind = Kind::Child(parent.clone());
        let made = Namespace::create(name, kind, &self.config, self.this.clone());
        let registered = self.register(made, |map, made| {
            if map.children >= max {
                return false;
            }
            map.children += 1;
            if let Kind::Parent(children) = &parent.0.kind {
                let mut children = children.lock().unwrap_or_else(|e| e.into_inner());
                children.retain(|child| child.strong_count() > 0);
                children.push(Arc::downgrade(&made.0));
            }
            true
        });
        registered.map_err(|_| too_many())
    }

    /// With `cleanup_empty_children`, removes a dynamic child that has no socket left (and
    /// is still the one registered under its name), and closes its adapter.
    pub(crate) fn remove_if_empty(&self, namespace: &Arc<Shared>) {
        if !self.config.cleanup_empty_children {
            return;
        }
        let removed = {
            let mut map = write(&self.map);
            let current = map
                .namespaces
                .get(&namespace.name)
                .is_some_and(|found| Arc::ptr_eq(&found.0, namespace));
            // A CONNECT may have come meanwhile.
            let removable = current && namespace.read().is_empty();
            if removable {
                map.namespaces.remove(&namespace.name);
                map.children = map.children.saturating_sub(1);
            }
            removable
        };
        if !removed {
            return;
        }
        if let Kind::Child(parent) = &namespace.kind {
            if let Kind::Parent(children) = &parent.0.kind {
                let mut children = children.lock().unwrap_or_else(|e| e.into_inner());
                children.retain(|child| !std::ptr::eq(child.as_ptr(), Arc::as_ptr(namespace)));
            }
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let namespace = namespace.clone();
            runtime.spawn(async move { namespace.adapter.close().await });
        }
    }

    /// Every namespace that exists now (parents aside).
    pub(crate) fn all(&self) -> Vec<Namespace> {
        read(&self.map).namespaces.values().cloned().collect()
    }

    pub(crate) fn on_new_namespace(&self, handler: NewNamespaceFn) {
        let mut handlers = write(&self.new_namespace);
        *handlers = handlers.iter().cloned().chain([handler]).collect();
    }

    fn announce(&self, namespace: &Namespace) {
        let handlers = read(&self.new_namespace).clone();
        for handler in handlers.iter() {
            let namespace = namespace.clone();
            callback::run(&"new_namespace handler", || handler(namespace));
        }
    }
}

/// The refusal of a CONNECT past a namespace limit.
pub(crate) fn too_many() -> ConnectError {
    ConnectError::new("Too many namespaces")
}
