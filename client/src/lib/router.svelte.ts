/** A two-route history router: `/` and `/room/:id`. */
class Router {
  path = $state(location.pathname)

  constructor() {
    addEventListener('popstate', () => (this.path = location.pathname))
  }

  go(url: string): void {
    history.pushState(null, '', url)
    this.path = location.pathname
  }
}

export const router = new Router()
