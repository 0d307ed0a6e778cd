{#- The site's status on any page: one <script src=".../embed/status.js"> (docs/embedding.md).
    Hand-written compact: at most 3 KB as served, no dependencies, no cookies. -#}
/* statuspage status embed: reads ../api/v2/summary.json beside this file */
(function(d,w){var s=d.currentScript,T={% if config.language == "en" %}{}{% else %}{{ {
"All Systems Operational": _("All Systems Operational"),
"Minor Service Outage": _("Minor Service Outage"),
"Partial System Outage": _("Partial System Outage"),
"Major System Outage": _("Major System Outage"),
"Service Under Maintenance": _("Service Under Maintenance"),
"Dismiss": _("Dismiss")} | tojson }}{% endif %};if(!s||!w.fetch||!w.URL)return;
var t=function(k){return T[k]||k},u=new URL("../",s.src).href,
k=w.matchMedia&&w.matchMedia("(prefers-color-scheme:dark)").matches?1:0,
C={none:["#1a7f37","#3fb950"],minor:["#9a6700","#d29922"],major:["#bc4c00","#f0883e"],critical:["#cf222e","#f85149"],maintenance:["#0969da","#58a6ff"]},
e=function(n,c,x){var a=d.createElement(n);a.style.cssText=c;if(x)a.textContent=x;return a};
fetch(u+"api/v2/summary.json",{credentials:"omit"}).then(function(r){if(r.ok)return r.json()}).then(function(j){
var q=j.status,m=(j.scheduled_maintenances||[]).filter(function(i){return i.status=="in_progress"||i.status=="verifying"}),
l=(j.incidents||[]).concat(m),n=q.indicator=="none"&&m.length?"maintenance":q.indicator,c=(C[n]||C.minor)[k],
a=e("a","color:inherit;font:inherit;text-decoration:none"),x=d.querySelector("[data-statuspage]");
a.href=u;a.className="statuspage-status";a.setAttribute("data-indicator",n);
a.appendChild(e("span","display:inline-block;width:.65em;height:.65em;margin-right:.4em;border-radius:50%;background:"+c));
a.appendChild(d.createTextNode(t(q.description)));
x?x.appendChild(a):s.parentNode.insertBefore(a,s.nextSibling);
if(!l.length||s.getAttribute("data-banner")=="off")return;
var y="statuspage:"+l.map(function(i){return i.id+"@"+i.updated_at}).join();
try{if(w.sessionStorage.getItem(y))return}catch(z){}
var b=e("div","position:fixed;z-index:2147483647;right:16px;bottom:16px;max-width:min(360px,calc(100vw - 32px));box-sizing:border-box;padding:12px 40px 12px 14px;border-radius:8px;box-shadow:0 4px 16px rgba(0,0,0,.3);font:14px/1.4 system-ui,sans-serif;text-align:left;border-left:6px solid "+c+";background:"+(k?"#151b23;color:#e6edf3":"#fff;color:#1f2328")),
h=e("strong","display:block;color:"+c,t(q.description)),o=e("button","position:absolute;top:4px;right:6px;padding:4px 8px;border:0;background:none;color:inherit;font:20px/1 system-ui,sans-serif;cursor:pointer","\u00d7");
b.className="statuspage-banner";b.setAttribute("role","status");b.appendChild(h);
l.slice(0,3).forEach(function(i){var a=e("a","display:block;color:inherit;text-decoration:underline",i.name);a.href=i.shortlink||u;a.target="_top";b.appendChild(a)});
o.setAttribute("aria-label",t("Dismiss"));o.onclick=function(){b.remove();try{w.sessionStorage.setItem(y,1)}catch(z){}};
b.appendChild(o);(d.body||d.documentElement).appendChild(b)}).catch(function(){})})(document,window);
