//! The route table: every route is registered through it, and it remembers each method and
//! path it was given, so the server can say exactly what it serves. The authorisation
//! matrix test reads that list and fails on any route it has no expectation for; a route
//! cannot be added without joining the matrix.
//!
//! `get(handler).post(other)` and `.layer(...)` read as axum's own. A route needing another
//! method gets a constructor and a chained method here, beside `get` and `post`.

use std::convert::Infallible;

use axum::extract::Request;
use axum::handler::Handler;
use axum::http::Method;
use axum::response::IntoResponse;
use axum::routing::{self, MethodRouter, Route};
use axum::Router;
use tower::{Layer, Service};

use crate::AppState;

/// One method and path pattern the server answers, as axum matches it
/// (`/staff/reports/{reference}`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RegisteredRoute {
    pub method: Method,
    pub path: String,
}

/// The handlers of one path, with the methods they answer.
pub struct Methods {
    router: MethodRouter<AppState>,
    methods: Vec<Method>,
}

pub fn get<H, T>(handler: H) -> Methods
where
    H: Handler<T, AppState>,
    T: 'static,
{
    Methods {
        router: routing::get(handler),
        methods: vec![Method::GET],
    }
}

pub fn post<H, T>(handler: H) -> Methods
where
    H: Handler<T, AppState>,
    T: 'static,
{
    Methods {
        router: routing::post(handler),
        methods: vec![Method::POST],
    }
}

pub fn put<H, T>(handler: H) -> Methods
where
    H: Handler<T, AppState>,
    T: 'static,
{
    Methods {
        router: routing::put(handler),
        methods: vec![Method::PUT],
    }
}

impl Methods {
    pub fn put<H, T>(mut self, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.router = self.router.put(handler);
        self.methods.push(Method::PUT);
        self
    }

    pub fn patch<H, T>(mut self, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.router = self.router.patch(handler);
        self.methods.push(Method::PATCH);
        self
    }

    pub fn get<H, T>(mut self, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.router = self.router.get(handler);
        self.methods.push(Method::GET);
        self
    }

    pub fn post<H, T>(mut self, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.router = self.router.post(handler);
        self.methods.push(Method::POST);
        self
    }

    /// Wraps every handler registered so far, as `MethodRouter::layer`.
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        self.router = self.router.layer(layer);
        self
    }
}

/// A router that lists what it routes.
#[derive(Default)]
pub struct RouteTable {
    router: Router<AppState>,
    routes: Vec<RegisteredRoute>,
}

impl RouteTable {
    pub fn new() -> Self {
        Self {
            router: Router::new(),
            routes: Vec::new(),
        }
    }

    pub fn route(mut self, path: &str, methods: Methods) -> Self {
        self.routes
            .extend(methods.methods.into_iter().map(|method| RegisteredRoute {
                method,
                path: path.to_owned(),
            }));
        self.router = self.router.route(path, methods.router);
        self
    }

    /// Serves `table` under `prefix`; its routes are listed with the prefix.
    pub fn nest(mut self, prefix: &str, table: RouteTable) -> Self {
        self.routes
            .extend(table.routes.into_iter().map(|route| RegisteredRoute {
                method: route.method,
                path: nested_path(prefix, &route.path),
            }));
        self.router = self.router.nest(prefix, table.router);
        self
    }

    /// Serves `table`'s routes beside these, as `Router::merge`: a capability keeps its
    /// routes in its own folder and the router takes them whole.
    pub fn merge(mut self, table: RouteTable) -> Self {
        self.routes.extend(table.routes);
        self.router = self.router.merge(table.router);
        self
    }

    /// Answers what no route matches, as `Router::fallback`.
    pub fn fallback<H, T>(mut self, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.router = self.router.fallback(handler);
        self
    }

    /// Wraps every route registered so far, as `Router::layer`.
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        self.router = self.router.layer(layer);
        self
    }

    pub fn routes(&self) -> &[RegisteredRoute] {
        &self.routes
    }

    pub fn into_router(self) -> Router<AppState> {
        self.router
    }
}

/// The path a nested route is served at, joined as axum joins it.
fn nested_path(prefix: &str, path: &str) -> String {
    match prefix.strip_suffix('/') {
        Some(bare) => format!("{bare}{path}"),
        None if path == "/" => prefix.to_owned(),
        None => format!("{prefix}{path}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn hello() -> &'static str {
        "hello"
    }

    #[test]
    fn lists_each_method_and_the_nested_prefix() {
        let inner = RouteTable::new().route("/items/{id}", get(hello).post(hello));
        let staff = RouteTable::new().route("/", get(hello));
        let table = RouteTable::new()
            .route("/", get(hello))
            .nest("/api", inner)
            .nest("/staff", staff);
        let listed: Vec<(String, String)> = table
            .routes()
            .iter()
            .map(|route| (route.method.to_string(), route.path.clone()))
            .collect();
        assert_eq!(
            listed,
            [
                ("GET".to_owned(), "/".to_owned()),
                ("GET".to_owned(), "/api/items/{id}".to_owned()),
                ("POST".to_owned(), "/api/items/{id}".to_owned()),
                ("GET".to_owned(), "/staff".to_owned()),
            ]
        );
    }
}
